"""Deploy snet-contracts' SingularityNetToken, Registry and MultiPartyEscrow."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any
from collections.abc import Iterable

from eth_account import Account
from web3 import Web3

from snet_cli_training.sandbox.chain import CHAIN_ID, GAS_PRICE

TOKEN_NAME = "SingularityNET Token"
TOKEN_SYMBOL = "AGIX"


@dataclass(frozen=True)
class Deployment:
    token: str
    registry: str
    mpe: str


def contract_resource(kind: str, name: str) -> Any:
    """ABI (kind "abi") or deployable bytecode (kind "bytecode") of a snet contract."""
    path = resources.files("snet.contracts") / "resources" / kind / f"{name}.json"
    return json.loads(path.read_text())


def contract(w3: Web3, name: str, address: str | None = None) -> Any:
    """A web3 contract object for one of snet-contracts' contracts."""
    if address is None:
        return w3.eth.contract(abi=contract_resource("abi", name),
                               bytecode=contract_resource("bytecode", name))
    return w3.eth.contract(address=Web3.to_checksum_address(address),
                           abi=contract_resource("abi", name))


def transact(w3: Web3, private_key: str, call: Any, gas: int = 6_000_000) -> Any:
    """Sign and send one contract call or constructor; return its receipt."""
    account = Account.from_key(private_key)
    tx = call.build_transaction({
        "from": account.address, "nonce": w3.eth.get_transaction_count(account.address),
        "gas": gas, "gasPrice": GAS_PRICE, "chainId": CHAIN_ID,
    })
    tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, poll_latency=0.01)
    if receipt.status != 1:
        raise RuntimeError(f"transaction failed: {call}")
    return receipt


def deploy(w3: Web3, deployer_key: str, mint_to: Iterable[str] = (),
           mint_cogs: int = 10**18) -> Deployment:
    """Deploy token, Registry and MPE; mint `mint_cogs` to every address in `mint_to`."""
    token_factory = contract(w3, "SingularityNetToken")
    token = transact(w3, deployer_key, token_factory.constructor(TOKEN_NAME, TOKEN_SYMBOL))
    registry = transact(w3, deployer_key, contract(w3, "Registry").constructor())
    mpe = transact(w3, deployer_key,
                   contract(w3, "MultiPartyEscrow").constructor(token.contractAddress))
    token_contract = contract(w3, "SingularityNetToken", token.contractAddress)
    for address in mint_to:
        transact(w3, deployer_key, token_contract.functions.mint(
            Web3.to_checksum_address(address), mint_cogs), gas=200_000)
    return Deployment(token=token.contractAddress, registry=registry.contractAddress,
                      mpe=mpe.contractAddress)
