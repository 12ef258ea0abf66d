"""`Console`: the streams, terminal, clock and config folder a command uses, injectable for tests."""

from __future__ import annotations

import dataclasses
import os
import pathlib
import sys
import time
from collections.abc import Callable
from typing import TextIO


@dataclasses.dataclass
class Console:
    """Where a command reads, writes, waits and keeps its files; tests pass their own streams and clock."""

    stdin: TextIO = dataclasses.field(default_factory=lambda: sys.stdin)
    stdout: TextIO = dataclasses.field(default_factory=lambda: sys.stdout)
    stderr: TextIO = dataclasses.field(default_factory=lambda: sys.stderr)
    snet_dir: pathlib.Path = dataclasses.field(default_factory=lambda: pathlib.Path.home() / ".snet")
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    @classmethod
    def for_snet_config(cls, config: object) -> Console:
        """The console of a snet-cli session: the process's streams and its config folder (`~/.snet` unless moved)."""
        config_file = getattr(config, "_config_file", None)
        folder = pathlib.Path(config_file).parent if config_file else pathlib.Path(os.path.expanduser("~/.snet"))
        return cls(snet_dir=folder)

    @property
    def training_dir(self) -> pathlib.Path:
        """Where the plugin keeps its files (model store, signature cache, payment journal)."""
        return self.snet_dir / "training"

    def is_terminal(self) -> bool:
        """A terminal, for the confirmation rule: stdin and stderr are both TTYs."""
        return _isatty(self.stdin) and _isatty(self.stderr)

    def stderr_is_terminal(self) -> bool:
        """Whether progress bars belong on stderr."""
        return _isatty(self.stderr)

    def say(self, line: str) -> None:
        """One line of human text on stderr (notes, progress)."""
        self.stderr.write(line + "\n")
        self.stderr.flush()

    def warn(self, message: str) -> None:
        """A `WARNING:` line on stderr."""
        self.say(f"WARNING: {message}")

    def ask(self, question: str) -> bool:
        """Ask a yes/no question on stderr and read the answer from stdin; only yes counts as yes."""
        self.stderr.write(f"{question} [y/n] ")
        self.stderr.flush()
        try:
            answer = self.stdin.readline()
        except KeyboardInterrupt:
            self.stderr.write("\n")  # what follows starts on a line of its own
            raise
        return answer.strip().lower() in ("y", "yes")


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False
