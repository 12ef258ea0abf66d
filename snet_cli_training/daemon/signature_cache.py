""""unified" signatures kept on disk, so one signature serves many commands across processes.

The daemon accepts a "unified" authorization for 600 blocks on four read-only RPCs
(docs/protocol.md#authorization). The cache is a private file (see privatefile) whose content is a
hint, never trusted: every entry is verified by the caller before use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from snet_cli_training import privatefile

UNIFIED = "unified"
FILE_NAME = "signatures.json"
_CACHE_FORMAT = "snet-cli-training/signatures"
_CACHE_VERSION = 1


@dataclass(frozen=True)
class CachedSignature:
    """A signature kept in the cache: the block it was signed at and its 65 bytes."""

    block: int
    signature: bytes


class SignatureCache:
    """Entries keyed by (network, signer address, message kind), in `signatures.json` of the plugin's folder."""

    def __init__(self, path: Path, *, warn: Callable[[str], None] | None = None) -> None:
        self.path = Path(path)
        self._warn = privatefile.warn_once(warn)

    def get(self, network: str, address: str, kind: str = UNIFIED) -> CachedSignature | None:
        """The cached entry, or None when there is none or the file cannot be used."""
        entry = self._read().get(network, {}).get(address.lower(), {}).get(kind)
        if entry is None:
            return None
        return CachedSignature(entry["block"], bytes.fromhex(entry["signature"][2:]))

    def put(self, network: str, address: str, kind: str, entry: CachedSignature) -> None:
        """Store an entry, keeping the others."""
        with privatefile.locked(self.path):
            entries = self._read()
            entries.setdefault(network, {}).setdefault(address.lower(), {})[kind] = {
                "block": entry.block, "signature": "0x" + entry.signature.hex()}
            self._write(entries)

    def drop(self, network: str, address: str, kind: str = UNIFIED) -> None:
        """Forget an entry (no-op when absent)."""
        with privatefile.locked(self.path):
            entries = self._read()
            by_kind = entries.get(network, {}).get(address.lower(), {})
            if kind in by_kind:
                del by_kind[kind]
                self._write(entries)

    def _read(self) -> dict:
        document = privatefile.read_trusted(self.path, _is_cache_document, self._warn)
        return document["entries"] if document else {}


    def _write(self, entries: dict) -> None:
        privatefile.write_atomic(self.path, {"format": _CACHE_FORMAT, "version": _CACHE_VERSION, "entries": entries})


def _is_cache_document(document: Any) -> bool:
    if not isinstance(document, dict) or document.get("format") != _CACHE_FORMAT:
        return False
    if document.get("version") != _CACHE_VERSION or not isinstance(document.get("entries"), dict):
        return False
    levels = [document["entries"]]
    for _depth in range(2):  # network → address → kind
        if not all(isinstance(level, dict) for level in levels):
            return False
        levels = [child for level in levels for child in level.values()]
    return all(isinstance(level, dict) and all(_is_cache_entry(entry) for entry in level.values()) for level in levels)


def _is_cache_entry(entry: Any) -> bool:
    if not isinstance(entry, dict):
        return False
    block, signature = entry.get("block"), entry.get("signature")
    if not isinstance(block, int) or isinstance(block, bool) or not 0 <= block < 2**64:
        return False
    if not isinstance(signature, str) or not signature.startswith("0x") or len(signature) != 2 + 130:
        return False
    try:
        bytes.fromhex(signature[2:])
    except ValueError:
        return False
    return True
