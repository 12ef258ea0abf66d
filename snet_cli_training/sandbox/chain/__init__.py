"""The local chain's fixed facts: chain id, gas price and the development accounts funded at genesis.

`server` runs the chain (``python -m snet_cli_training.sandbox.chain.server``); only that process
imports eth-tester.
"""

from __future__ import annotations

from eth_keys import keys
from eth_utils import keccak, to_checksum_address

CHAIN_ID = 1337
GAS_PRICE = 2 * 10**9

# Deterministic development keys, derived from fixed seeds so every run of the
# stack has the same addresses.
DEV_ROLES = ("deployer", "provider", "client", "client2", "spare1", "spare2")


# The daemon double names itself, so tests can count a client's chain requests apart from the daemon's.
DAEMON_USER_AGENT = "snet-daemon-double"


def dev_private_key(role: str) -> str:
    """Return the 0x-hex private key of a development account."""
    return "0x" + keccak(text=f"snet-cli-training dev account {role}").hex()


def dev_address(role: str) -> str:
    """Return the checksum address of a development account."""
    private_key = keys.PrivateKey(bytes.fromhex(dev_private_key(role)[2:]))
    return private_key.public_key.to_checksum_address()


def created_address(sender: str, nonce: int) -> str:
    """The checksum address of the contract that `sender`'s transaction number `nonce` creates."""
    import rlp

    return to_checksum_address(keccak(rlp.encode([bytes.fromhex(sender[2:]), nonce]))[12:])
