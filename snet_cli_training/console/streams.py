"""`Console`: the streams, terminal, clock and config folder a command uses, injectable for tests."""

from __future__ import annotations

import dataclasses
import os
import pathlib
import sys
import time
from collections.abc import Callable
from typing import TextIO

from snet_cli_training.console import render


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
        """The console of a snet-cli session: the process's streams and its config folder (`~/.snet` unless moved).

        In a `--json` run, stdout is the one the start-up hook kept for the document (snet-cli's own
        prints go to stderr then).
        """
        config_file = getattr(config, "_config_file", None)
        folder = pathlib.Path(config_file).parent if config_file else pathlib.Path(os.path.expanduser("~/.snet"))
        return cls(stdout=_document_stdout(), snet_dir=folder)

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
        """One line of human text on stderr (notes, progress); control characters in it are escaped."""
        write_text(self.stderr, render.printable(line) + "\n")
        self.stderr.flush()

    def warn(self, message: str) -> None:
        """A `WARNING:` line on stderr."""
        self.say(f"WARNING: {message}")

    def ask(self, question: str) -> bool:
        """Ask a yes/no question on stderr and read the answer from stdin; only yes counts as yes (no is the default)."""
        write_text(self.stderr, f"{render.printable(question)} [y/N] ")
        self.stderr.flush()
        try:
            answer = self.stdin.readline()
        except KeyboardInterrupt:
            self.stderr.write("\n")  # what follows starts on a line of its own
            raise
        return answer.strip().lower() in ("y", "yes")


def _document_stdout() -> TextIO:
    try:
        import snet_cli_training_hook
    except ImportError:  # installed without its start-up hook: nothing was held
        return sys.stdout
    return snet_cli_training_hook.held_stdout() or sys.stdout


def write_text(stream: TextIO, text: str) -> None:
    """Write TEXT; what the stream's encoding cannot hold (PYTHONIOENCODING=ascii) is written as backslash escapes."""
    try:
        stream.write(text)
    except UnicodeEncodeError:
        encoding = getattr(stream, "encoding", None) or "ascii"
        stream.write(text.encode(encoding, "backslashreplace").decode(encoding))


def can_encode(stream: TextIO, text: str) -> bool:
    """Whether the stream's encoding holds every character of TEXT."""
    encoding = getattr(stream, "encoding", None)
    if not encoding:
        return True
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False
