"""Signature recovery the way snet-daemon does it: EIP-191 over a 32-byte keccak, v % 27."""

from __future__ import annotations

from eth_keys import keys
from eth_utils import keccak, to_checksum_address

_PERSONAL_PREFIX = b"\x19Ethereum Signed Message:\n32"


class SignatureError(Exception):
    """The signature cannot be parsed or recovered; the text is the daemon's."""


def u256(value: int) -> bytes:
    return int(value).to_bytes(32, "big")


def address_bytes(address: str) -> bytes:
    """20 bytes of a hex address, parsed leniently like go-ethereum's HexToAddress."""
    text = address[2:] if address[:2].lower() == "0x" else address
    try:
        raw = bytes.fromhex(text.rjust(40, "0")[-40:])
    except ValueError:
        raw = b"\x00" * 20
    return raw


def recover_signer(message: bytes, signature: bytes) -> str:
    """Checksum address that personal-signed keccak(message)."""
    if len(signature) != 65:
        raise SignatureError("incorrect signature length")
    digest = keccak(_PERSONAL_PREFIX + keccak(message))
    try:
        sig = keys.Signature(vrs=(signature[64] % 27, int.from_bytes(signature[:32], "big"),
                                  int.from_bytes(signature[32:64], "big")))
        public_key = sig.recover_public_key_from_msg_hash(digest)
    except Exception as exc:  # eth-keys raises several types for bad v/r/s
        raise SignatureError("incorrect signature data") from exc
    return to_checksum_address(public_key.to_canonical_address())
