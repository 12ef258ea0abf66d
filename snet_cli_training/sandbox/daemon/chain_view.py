"""What the daemon reads from the chain: the latest block and MultiPartyEscrow channels."""

from __future__ import annotations

from dataclasses import dataclass

from web3 import Web3

from snet_cli_training.sandbox.chain import DAEMON_USER_AGENT
from snet_cli_training.sandbox.contracts import contract_resource

ZERO_ADDRESS = "0x" + "00" * 20


@dataclass(frozen=True)
class Channel:
    """A MultiPartyEscrow channel: its id, then the fields of the contract's `channels(id)` in their order."""

    channel_id: int
    nonce: int
    sender: str
    signer: str
    recipient: str
    group_id: bytes
    value: int
    expiration: int


class ChainView:
    """Reads over HTTP JSON-RPC on every call, like the daemon (no caching)."""

    def __init__(self, rpc_url: str, mpe_address: str) -> None:
        self.web3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"headers": {"User-Agent": DAEMON_USER_AGENT}}))
        abi = [entry for entry in contract_resource("abi", "MultiPartyEscrow") if entry.get("name") == "channels"]
        self.mpe = self.web3.eth.contract(address=Web3.to_checksum_address(mpe_address), abi=abi)

    def latest_block(self) -> int:
        return self.web3.eth.block_number

    def channel(self, channel_id: int) -> Channel | None:
        """The channel as the contract holds it; None if it was never opened."""
        if channel_id >= 2**256:
            return None
        nonce, sender, signer, recipient, group_id, value, expiration = \
            self.mpe.functions.channels(channel_id).call()
        if sender == ZERO_ADDRESS:
            return None
        return Channel(channel_id, nonce, sender, signer, recipient, bytes(group_id), value, expiration)
