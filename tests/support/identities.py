"""Fresh identities on the session's local network: a new key with ether for gas, tokens if asked, its own HOME."""

from __future__ import annotations

import os
from pathlib import Path

from eth_account import Account

from snet_cli_training.sandbox import contracts, provision
from snet_cli_training.sandbox.chain import CHAIN_ID, GAS_PRICE


def new_identity(stack, home: Path, *, tokens: int = 0) -> tuple[str, Path]:
    """(address, HOME) of a new key that no earlier test touched: 1 ether for gas, `tokens` cogs, no escrow, no channel."""
    key = "0x" + os.urandom(32).hex()
    address = Account.from_key(key).address
    w3 = stack.web3()
    provider = Account.from_key(stack.provider.private_key)
    transfer = {"to": address, "value": 10**18, "gas": 21_000, "gasPrice": GAS_PRICE, "chainId": CHAIN_ID,
                "nonce": w3.eth.get_transaction_count(provider.address)}
    w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(provider.sign_transaction(transfer).raw_transaction),
                                        poll_latency=0.01)
    if tokens:
        token = contracts.contract(w3, "SingularityNetToken", stack.token_address)
        contracts.transact(w3, stack.provider.private_key, token.functions.transfer(address, tokens), gas=200_000)
    network = provision.Network(rpc=stack.rpc, ipfs_port=stack.ipfs_port, registry=stack.registry_address,
                                mpe=stack.mpe_address, token=stack.token_address, daemon_endpoint=stack.daemon_endpoint)
    provision.write_home(home, network, "fresh", key)
    return address, home
