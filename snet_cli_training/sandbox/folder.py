"""The sandbox's private folder: what was asked for, the state the supervisor records, logs, the network's files.

    FOLDER/request.json   the options of `up` (provider, proto folder, daemon behaviour)
    FOLDER/state.json     written by the supervisor: starting / up (endpoints, identities, PIDs) / failed
    FOLDER/logs/          the supervisor's log; each server's log is in network/
    FOLDER/network/       the network's working folder: the snet-cli HOME of every identity, server logs
    FOLDER/demo/          the datasets of `demo`
    FOLDER/lock           held while `up`, `down` or `reset` runs
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class SandboxFolder:
    """Paths and files of one sandbox (mode 0700: the network's keys and HOMEs are in it)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.state_file = self.path / "state.json"
        self.request_file = self.path / "request.json"
        self.logs = self.path / "logs"
        self.network = self.path / "network"
        self.demo = self.path / "demo"

    def create(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.logs.mkdir(exist_ok=True, mode=0o700)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """One `up`, `down` or `reset` at a time."""
        self.create()
        with open(self.path / "lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def read(self, path: Path) -> dict | None:
        """A JSON object file; None when it is missing or unreadable (a half-written file counts as missing)."""
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return document if isinstance(document, dict) else None

    def write(self, path: Path, document: Any) -> None:
        """Write atomically, so a reader never sees half a file."""
        self.create()
        partial = path.with_name(path.name + f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(document, indent=2), encoding="utf-8")
        os.replace(partial, path)

    def state(self) -> dict | None:
        return self.read(self.state_file)

    def clear(self) -> None:
        """Forget a stopped network: its state, its HOMEs and the demo's files (the logs stay for a post-mortem)."""
        self.state_file.unlink(missing_ok=True)
        for folder in (self.network, self.demo):
            shutil.rmtree(folder, ignore_errors=True)
