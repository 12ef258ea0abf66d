"""The outside world of a command: streams, terminal, clock-free questions, config directory."""

from __future__ import annotations

import dataclasses
import os
import pathlib
import sys
from typing import TextIO


@dataclasses.dataclass
class Environment:
    """Injectable streams and paths, so commands are testable without monkeypatching."""

    stdin: TextIO = dataclasses.field(default_factory=lambda: sys.stdin)
    stdout: TextIO = dataclasses.field(default_factory=lambda: sys.stdout)
    stderr: TextIO = dataclasses.field(default_factory=lambda: sys.stderr)
    snet_dir: pathlib.Path = dataclasses.field(default_factory=lambda: pathlib.Path.home() / ".snet")

    @property
    def training_dir(self) -> pathlib.Path:
        """Where the plugin keeps its files (model store, signature cache, payment journal)."""
        return self.snet_dir / "training"

    def is_terminal(self) -> bool:
        """A terminal, for the confirmation rule: stdin and stderr are both TTYs."""
        return _isatty(self.stdin) and _isatty(self.stderr)

    def stderr_is_terminal(self) -> bool:
        """Whether progress bars and live status lines belong on stderr."""
        return _isatty(self.stderr)

    def say(self, line: str) -> None:
        """One line of human text on stderr (notes, warnings, progress)."""
        self.stderr.write(line + "\n")
        self.stderr.flush()

    def warn(self, message: str) -> None:
        """A warning line on stderr."""
        self.say(f"WARNING: {message}")

    def ask(self, question: str) -> bool:
        """Ask a yes/no question on stderr, read the answer from stdin; only yes counts as yes."""
        self.stderr.write(f"{question} [y/n] ")
        self.stderr.flush()
        answer = self.stdin.readline()
        return answer.strip().lower() in ("y", "yes")


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def from_snet_config(config: object) -> Environment:
    """The environment of a snet-cli session: its config folder (`~/.snet` unless moved)."""
    config_file = getattr(config, "_config_file", None)
    folder = pathlib.Path(config_file).parent if config_file else pathlib.Path(os.path.expanduser("~/.snet"))
    return Environment(snet_dir=folder)
