"""The progress bar of an upload: bytes, rate and ETA on stderr, only when stderr is a terminal."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

from snet_cli_training.console.streams import Console

Progress = Callable[[int], None]


def no_progress(_bytes_sent: int) -> None:
    """Progress nobody watches."""


@contextlib.contextmanager
def progress_bar(console: Console, total: int, description: str) -> Iterator[Progress]:
    """A `progress(bytes_sent)` callback drawing a byte bar on stderr when it is a terminal."""
    if not console.stderr_is_terminal():
        yield no_progress
        return
    from tqdm import tqdm

    # A terminal that reports no size (a fresh pty, a serial console) makes tqdm draw nothing: assume 80x24.
    sized = _terminal_columns(console.stderr) > 0
    with tqdm(total=total, desc=description, unit="B", unit_scale=True, unit_divisor=1024, file=console.stderr,
              dynamic_ncols=sized, ncols=None if sized else 80, nrows=None if sized else 24, miniters=1,
              leave=True) as bar:
        def update(bytes_sent: int) -> None:
            bar.update(bytes_sent - bar.n)

        yield update


def _terminal_columns(stream: Any) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return 0
