"""Authorization details of the daemon's training RPCs: the signer, the signed bytes, and reuse of "unified".

The daemon recovers the signer from an EIP-191 personal signature over
keccak(message ‖ address ‖ uint256 block) and accepts it while the block is within 5 blocks
of its own (600 for the message "unified", which four read-only RPCs accept); see
docs/protocol.md#authorization. A "unified" signature is worth keeping: the SignatureCache lets
one serve many commands, across processes, for most of its window.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_keys.exceptions import BadSignature, ValidationError
from eth_utils import keccak, to_checksum_address

from snet_cli_training import errors
from snet_cli_training.console import render
from snet_cli_training.daemon import protocol
from snet_cli_training.daemon.signature_cache import UNIFIED, CachedSignature, SignatureCache

UNIFIED_RPCS = frozenset({"validate_model_price", "train_model_price", "get_all_models", "get_model"})
AUTHORIZED_RPCS = frozenset({
    "create_model", "validate_model_price", "upload_and_validate", "validate_model", "train_model_price",
    "train_model", "delete_model", "get_all_models", "get_model", "update_model",
})
UNIFIED_WINDOW = 600
# Blocks kept in hand before a cached "unified" signature is replaced: covers the lag between
# our node and the daemon's, and a long command that starts near the end of the window.
UNIFIED_SAFETY_MARGIN = 100



def authorization_hash(message: str, address: str, block: int) -> bytes:
    """keccak(message ‖ address ‖ uint256 block), i.e. solidity_keccak(["string","address","uint256"], ...)."""
    address_bytes = bytes.fromhex(to_checksum_address(address)[2:])
    return keccak(message.encode("utf-8") + address_bytes + int(block).to_bytes(32, "big"))


def recover_signer(hash32: bytes, signature: bytes) -> str:
    """The checksum address that personal-signed `hash32` (EIP-191), or "" if the signature is unusable."""
    if len(signature) != 65:
        return ""
    v = signature[64]
    if v in (0, 1):
        signature = signature[:64] + bytes([v + 27])
    try:
        return Account.recover_message(encode_defunct(primitive=hash32), signature=signature)
    except (BadSignature, ValidationError, ValueError):
        return ""


class Signer:
    """An Ethereum address that can personal-sign (EIP-191) a 32-byte hash; the key stays with its owner."""

    def __init__(self, address: str, sign: Callable[[bytes], bytes]) -> None:
        self._address = to_checksum_address(address)
        self._sign = sign

    @property
    def address(self) -> str:
        """The checksum address."""
        return self._address

    def sign_hash(self, hash32: bytes) -> bytes:
        """The 65-byte r‖s‖v personal signature of a 32-byte hash."""
        if len(hash32) != 32:
            raise ValueError("sign_hash takes a 32-byte hash")
        try:
            signature = bytes(self._sign(hash32))
        except errors.TrainingError:
            raise
        except Exception as exc:  # noqa: BLE001 - key, keystore, ledger and trezor providers fail in their own ways
            raise errors.SigningError(f"the identity {render.address(self._address)} could not sign: {exc}") from exc
        if len(signature) != 65:
            raise ValueError(f"the identity returned a {len(signature)}-byte signature, expected 65")
        return signature


def authorization(message: str, signer: Signer, block: int) -> Any:
    """A freshly signed `AuthorizationDetails` for `message` (an RPC's name, or "unified") at `block`."""
    signature = signer.sign_hash(authorization_hash(message, signer.address, block))
    return _details(message, signer.address, block, signature)


def _details(message: str, address: str, block: int, signature: bytes) -> Any:
    return protocol.messages().AuthorizationDetails(
        current_block=block, message=message, signature=signature, signer_address=address)


class Authorizer:
    """Hands out `AuthorizationDetails` per RPC name, reusing one "unified" signature where the daemon allows.

    `block_number` is asked at most once per call to `details`. Without a `cache`, the
    "unified" signature is still reused within this process.
    """

    def __init__(self, signer: Signer, block_number: Callable[[], int], *,
                 cache: SignatureCache | None = None, network: str = "") -> None:
        self.signer = signer
        self.block_number = block_number
        self._cache = cache
        self._network = network
        self._unified: CachedSignature | None = None

    def details(self, rpc: str, block: int | None = None) -> Any:
        """AuthorizationDetails for `rpc`; `block` saves the lookup when the caller already knows it."""
        if rpc not in AUTHORIZED_RPCS:
            raise ValueError(f"{rpc} takes no authorization")
        if block is None:
            block = self.current_block()
        if rpc in UNIFIED_RPCS:
            return self._unified_details(block)
        return authorization(rpc, self.signer, block)

    def current_block(self) -> int:
        """One lookup of the current block number."""
        try:
            return int(self.block_number())
        except errors.TrainingError:
            raise
        except Exception as exc:  # noqa: BLE001 - web3 providers raise requests, socket and RPC errors alike
            raise errors.ChainUnavailable(f"cannot read the current block from the Ethereum node: {exc}") from exc

    def invalidate(self) -> None:
        """Forget the "unified" signature, in memory and on disk (the daemon refused it)."""
        self._unified = None
        if self._cache is not None:
            self._cache.drop(self._network, self.signer.address)

    def _unified_details(self, block: int) -> Any:
        address = self.signer.address
        if self._unified is None and self._cache is not None:
            candidate = self._cache.get(self._network, address)
            if candidate is not None and self._is_mine(candidate):
                self._unified = candidate
        if self._unified is None or abs(block - self._unified.block) > UNIFIED_WINDOW - UNIFIED_SAFETY_MARGIN:
            signature = self.signer.sign_hash(authorization_hash(UNIFIED, address, block))
            self._unified = CachedSignature(block, signature)
            if self._cache is not None:
                self._cache.put(self._network, address, UNIFIED, self._unified)
        return _details(UNIFIED, address, self._unified.block, self._unified.signature)

    def _is_mine(self, entry: CachedSignature) -> bool:
        recovered = recover_signer(authorization_hash(UNIFIED, self.signer.address, entry.block), entry.signature)
        return recovered == self.signer.address
