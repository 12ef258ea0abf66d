"""Authorization details for the daemon's training RPCs: signing, and a signature cache on disk.

The daemon recovers the signer from an EIP-191 personal signature over
keccak(message ‖ address ‖ uint256 block) and accepts it while the block is within 5 blocks
of its own (600 for the message "unified", which four read-only RPCs accept). A "unified"
signature is therefore worth keeping: the cache lets one signature serve many commands,
across processes, for most of its window.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_keys.exceptions import BadSignature, ValidationError
from eth_utils import keccak, to_checksum_address

from snet_cli_training import errors, protocol

UNIFIED = "unified"
UNIFIED_RPCS = frozenset({"validate_model_price", "train_model_price", "get_all_models", "get_model"})
AUTHORIZED_RPCS = frozenset({
    "create_model", "validate_model_price", "upload_and_validate", "validate_model", "train_model_price",
    "train_model", "delete_model", "get_all_models", "get_model", "update_model",
})
UNIFIED_WINDOW = 600
# Blocks kept in hand before a cached "unified" signature is replaced: covers the lag between
# our node and the daemon's, and a long command that starts near the end of the window.
UNIFIED_SAFETY_MARGIN = 100

_CACHE_FORMAT = "snet-cli-training/signatures"
_CACHE_VERSION = 1


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

    @classmethod
    def from_identity(cls, ident: Any, unlock: Callable[[], None] | None = None) -> Signer:
        """Wrap snet-cli's session identity (the `ident` of its BlockchainCommand).

        `unlock` (e.g. the command's `check_ident`) runs first when the identity does not know its
        address yet, which is the case for a password-encrypted key or mnemonic.
        """
        address = getattr(ident, "address", None)
        if not address and unlock is not None:
            unlock()
            address = getattr(ident, "address", None)
        if not address:
            address = ident.get_address()
        return cls(address, ident.sign_message_after_solidity_keccak)

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
            raise errors.SigningError(f"the identity {self._address} could not sign: {exc}") from exc
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


@dataclass(frozen=True)
class CachedSignature:
    """A signature kept in the cache: the block it was signed at and its 65 bytes."""

    block: int
    signature: bytes


def default_cache_path(config: Any = None) -> Path:
    """`training/signatures.json` under snet-cli's config directory (`~/.snet` by default)."""
    config_file = getattr(config, "_config_file", None)
    base = Path(config_file).parent if config_file else Path.home() / ".snet"
    return base / "training" / "signatures.json"


class SignatureCache:
    """"unified" signatures on disk, keyed by (network, signer address, message kind).

    The file is private (0600 in a 0700 directory) and replaced atomically. Its content is a
    hint, never trusted: a file that is unreadable, of another shape or not ours is ignored
    with one warning, and every entry is verified by the caller before use.
    """

    def __init__(self, path: Path, *, warn: Callable[[str], None] | None = None) -> None:
        self.path = Path(path)
        self._warn = warn
        self._warned = False

    def get(self, network: str, address: str, kind: str = UNIFIED) -> CachedSignature | None:
        """The cached entry, or None when there is none or the file cannot be used."""
        entry = self._read().get(network, {}).get(address.lower(), {}).get(kind)
        if entry is None:
            return None
        return CachedSignature(entry["block"], bytes.fromhex(entry["signature"][2:]))

    def put(self, network: str, address: str, kind: str, entry: CachedSignature) -> None:
        """Store an entry, keeping the others."""
        entries = self._read()
        entries.setdefault(network, {}).setdefault(address.lower(), {})[kind] = {
            "block": entry.block, "signature": "0x" + entry.signature.hex()}
        self._write(entries)

    def drop(self, network: str, address: str, kind: str = UNIFIED) -> None:
        """Forget an entry (no-op when absent)."""
        entries = self._read()
        by_kind = entries.get(network, {}).get(address.lower(), {})
        if kind in by_kind:
            del by_kind[kind]
            self._write(entries)

    def _read(self) -> dict:
        try:
            with open(self.path, "rb") as f:
                info = os.fstat(f.fileno())
                if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                    self._ignore("it belongs to another user or others may write it")
                    return {}
                document = json.loads(f.read().decode("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            self._ignore(str(exc) or type(exc).__name__)
            return {}
        if not _is_cache_document(document):
            self._ignore("unexpected content")
            return {}
        return document["entries"]

    def _ignore(self, reason: str) -> None:
        if self._warn is not None and not self._warned:
            self._warned = True
            self._warn(f"WARNING: ignoring the signature cache {self.path}: {reason}")

    def _write(self, entries: dict) -> None:
        directory = self.path.parent
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        document = {"format": _CACHE_FORMAT, "version": _CACHE_VERSION, "entries": entries}
        fd, temp_name = tempfile.mkstemp(prefix=".signatures-", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                os.fchmod(f.fileno(), 0o600)
                json.dump(document, f, indent=1, sort_keys=True)
            os.replace(temp_name, self.path)
        except BaseException:
            try:
                os.unlink(temp_name)
            except FileNotFoundError:
                pass
            raise


def _is_cache_document(document: Any) -> bool:
    if not isinstance(document, dict) or document.get("format") != _CACHE_FORMAT:
        return False
    if document.get("version") != _CACHE_VERSION or not isinstance(document.get("entries"), dict):
        return False
    for by_address in document["entries"].values():
        if not isinstance(by_address, dict):
            return False
        for by_kind in by_address.values():
            if not isinstance(by_kind, dict):
                return False
            for entry in by_kind.values():
                if not _is_cache_entry(entry):
                    return False
    return True


def _is_cache_entry(entry: Any) -> bool:
    if not isinstance(entry, dict):
        return False
    block, signature = entry.get("block"), entry.get("signature")
    if not isinstance(block, int) or isinstance(block, bool) or block < 0:
        return False
    if not isinstance(signature, str) or not signature.startswith("0x") or len(signature) != 2 + 130:
        return False
    try:
        bytes.fromhex(signature[2:])
    except ValueError:
        return False
    return True


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


def session_authorizer(command: Any, *, warn: Callable[[str], None] | None = None) -> Authorizer:
    """The Authorizer of snet-cli's session: its identity, its node's block number, the cache under its config dir.

    `command` is one of snet-cli's BlockchainCommand objects (e.g. service.client_command()).
    """
    signer = Signer.from_identity(command.ident, unlock=command.check_ident)
    cache = SignatureCache(default_cache_path(command.config), warn=warn)
    return Authorizer(signer, lambda: command.w3.eth.block_number, cache=cache,
                      network=command.config.get_session_network_name())
