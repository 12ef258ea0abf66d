"""What the daemon reads from the chain: the latest block and MultiPartyEscrow channels.

Plain JSON-RPC over keep-alive HTTP, one connection per thread: web3 would cost the double's
start about a second of imports (eth-account's BLS tables) for two kinds of reads.
"""

from __future__ import annotations

import http.client
import json
import threading
import urllib.parse
from typing import Any, NamedTuple

from eth_utils import keccak, to_checksum_address

from snet_cli_training.sandbox.chain import DAEMON_USER_AGENT

CHANNELS_SELECTOR = keccak(text="channels(uint256)")[:4]  # MultiPartyEscrow's public `channels` mapping


class ChainError(Exception):
    """The node answered a JSON-RPC error, or nothing readable."""


def _word_int(word: bytes) -> int:
    return int.from_bytes(word, "big")


def _word_address(word: bytes) -> str:
    return to_checksum_address(word[12:])


# The `channels(id)` getter's return words, in the contract's order: field, type, how the word reads.
CHANNEL_LAYOUT = (("nonce", int, _word_int), ("sender", str, _word_address), ("signer", str, _word_address),
                  ("recipient", str, _word_address), ("group_id", bytes, bytes), ("value", int, _word_int),
                  ("expiration", int, _word_int))

# What the contract answers for one channel id, field for field, after the id itself.
Channel = NamedTuple("Channel", [("channel_id", int)] + [(name, kind) for name, kind, _ in CHANNEL_LAYOUT])


def channel_from_words(channel_id: int, words: bytes) -> Channel:
    return Channel(channel_id, *(read(words[32 * i:32 * i + 32]) for i, (_, _, read) in enumerate(CHANNEL_LAYOUT)))


class ChainView:
    """Reads over HTTP JSON-RPC on every call, like the daemon (no caching)."""

    def __init__(self, rpc_url: str, mpe_address: str) -> None:
        url = urllib.parse.urlsplit(rpc_url)
        self.host, self.port, self.path = url.hostname or "127.0.0.1", url.port or 80, url.path or "/"
        self.mpe = to_checksum_address(mpe_address)
        self._local = threading.local()

    def request(self, method: str, params: list) -> Any:
        """One JSON-RPC call's result; ChainError for an error answer."""
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        headers = {"Content-Type": "application/json", "User-Agent": DAEMON_USER_AGENT}
        for attempt in (1, 2):  # a keep-alive connection the server closed is opened again, once
            connection = getattr(self._local, "connection", None)
            if connection is None:
                connection = self._local.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                connection.request("POST", self.path, body, headers)
                reply = json.loads(connection.getresponse().read())
                break
            except (OSError, http.client.HTTPException, ValueError):
                connection.close()
                self._local.connection = None
                if attempt == 2:
                    raise
        if "error" in reply:
            raise ChainError(str(reply["error"]))
        return reply["result"]

    def latest_block(self) -> int:
        return int(self.request("eth_blockNumber", []), 16)

    def channel(self, channel_id: int) -> Channel | None:
        """The channel as the contract holds it; None if it was never opened."""
        if channel_id >= 2**256:
            return None
        data = "0x" + (CHANNELS_SELECTOR + channel_id.to_bytes(32, "big")).hex()
        words = bytes.fromhex(self.request("eth_call", [{"to": self.mpe, "data": data}, "latest"])[2:])
        if _word_int(words[32:64]) == 0:  # no sender: never opened
            return None
        return channel_from_words(channel_id, words)
