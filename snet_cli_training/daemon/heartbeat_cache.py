"""What each daemon's heartbeat said, kept a short while per endpoint in a private file (`daemons.json`).

A heartbeat costs up to its timeout when the port does not speak HTTP/1; the cache spares
that on every command. Only the heartbeat is kept: the upload probe, which decides whether
money is at risk, is one free round trip and runs before every upload.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from snet_cli_training import privatefile
from snet_cli_training.daemon.behaviour import HeartbeatFacts
from snet_cli_training.daemon.heartbeat import HeartbeatReply, fetch_heartbeat

FILE_NAME = "daemons.json"
CACHE_SECONDS = 600.0
_FORMAT = "snet-cli-training/daemons"
_VERSION = 1
_FACT_TYPES = {"claimed_version": str, "old_fields": bool, "dynamic_pricing": bool, "training_enabled": bool,
               "network": str, "status": str}


class HeartbeatCache:
    """Heartbeat facts by endpoint, each trusted for CACHE_SECONDS."""

    def __init__(self, path: Path, *, warn: Callable[[str], None] | None = None,
                 clock: Callable[[], float] = time.time, fetch: Callable[[str], HeartbeatReply] = fetch_heartbeat) -> None:
        self.path = Path(path)
        self._warn = privatefile.warn_once(warn)
        self._clock = clock
        self._fetch = fetch

    def facts(self, endpoint: str) -> tuple[HeartbeatFacts | None, str]:
        """(facts, "") from a fresh enough entry or a new heartbeat; (None, why) when the daemon has none."""
        entry = self._read().get(endpoint)
        if entry is not None and 0 <= self._clock() - entry["checked_at"] < CACHE_SECONDS:
            facts = entry["facts"]
            return (HeartbeatFacts.from_dict(facts) if facts is not None else None), entry["problem"]
        reply = self._fetch(endpoint)
        facts = HeartbeatFacts.from_document(reply.document) if reply.document is not None else None
        self._store(endpoint, facts, reply.problem)
        return facts, reply.problem

    def _store(self, endpoint: str, facts: HeartbeatFacts | None, problem: str) -> None:
        with privatefile.locked(self.path):
            entries = self._read()
            now = self._clock()
            entries = {key: value for key, value in entries.items() if now - value["checked_at"] < CACHE_SECONDS}
            entries[endpoint] = {"checked_at": now, "facts": facts.to_dict() if facts else None, "problem": problem}
            privatefile.write_atomic(self.path, {"format": _FORMAT, "version": _VERSION, "entries": entries})

    def _read(self) -> dict[str, dict]:
        document = privatefile.read_trusted(self.path, _is_document, self._warn)
        return document["entries"] if document else {}


def _is_document(document: Any) -> bool:
    if not isinstance(document, dict) or document.get("format") != _FORMAT or document.get("version") != _VERSION:
        return False
    entries = document.get("entries")
    return isinstance(entries, dict) and all(_is_entry(entry) for entry in entries.values())


def _is_entry(entry: Any) -> bool:
    if not isinstance(entry, dict) or not isinstance(entry.get("problem"), str):
        return False
    checked_at = entry.get("checked_at")
    if not isinstance(checked_at, (int, float)) or isinstance(checked_at, bool):
        return False
    facts = entry.get("facts")
    if facts is None:
        return True
    return (isinstance(facts, dict) and set(facts) == set(_FACT_TYPES)
            and all(value is None or isinstance(value, _FACT_TYPES[name]) for name, value in facts.items()))
