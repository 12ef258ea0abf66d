"""Argument value types of `snet training`: argparse turns their ArgumentTypeError into a usage error (exit 2).

Every value a command could only reject later (after a network call, or after paying) is
checked here instead, so that each mistake is a usage error in argparse's words.
"""

from __future__ import annotations

import argparse
import math
import re
import urllib.parse

from snet_cli_training.console.render import clip
from snet_cli_training.constants import MAX_CHUNK_BYTES, SECONDS_PER_BLOCK, STATUSES

UINT64_MAX = 2**64 - 1
# gRPC's deadline arithmetic overflows somewhere past 10**9 s; nothing here needs more than 30 days.
MAX_SECONDS = 30 * 24 * 3600
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def _whole_number(text: str, low: int, high: int) -> int:
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {clip(text)}") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"must not be negative: {text}" if low == 0 else f"must be at least {low}: {text}")
    if value > high:
        raise argparse.ArgumentTypeError(f"must be at most {high:,}: {clip(text)}")
    return value


def positive_int(text: str) -> int:
    """A whole number of at least 1 (and at most 2**64 - 1, the wire's uint64)."""
    return _whole_number(text, 1, UINT64_MAX)


def non_negative_int(text: str) -> int:
    """A whole number of at least 0 (and at most 2**64 - 1, the wire's uint64)."""
    return _whole_number(text, 0, UINT64_MAX)


def cogs(text: str) -> int:
    """An amount of cogs: a whole number of at least 0 (no upper bound: it is compared, never sent)."""
    return _whole_number(text, 0, math.inf)  # type: ignore[arg-type]


def chunk_size(text: str) -> int:
    """Bytes per upload message: 1 to MAX_CHUNK_BYTES (a chunk and its authorization fit the daemon's 4 MiB cap)."""
    return _whole_number(text, 1, MAX_CHUNK_BYTES)


def seconds(text: str) -> float:
    """A finite number of seconds above 0 and at most 30 days."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {clip(text)}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds: {clip(text)}")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds: {clip(text)}")
    if value > MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_SECONDS:,} seconds (30 days): {clip(text)}")
    return value


def model_status(text: str) -> str:
    """A model status name, in any case."""
    name = text.upper()
    if name not in STATUSES:
        raise argparse.ArgumentTypeError(f"unknown status {clip(text)!r}: choose from {', '.join(STATUSES)}")
    return name


def expiration(text: str) -> int:
    """A channel expiry in blocks from now: `172800`, `+172800blocks`, or a duration (`30d`, `12h`, `90m`) at 12 s a block."""
    value = text.strip().lower().lstrip("+")
    unit = {"d": 86400, "h": 3600, "m": 60}.get(value[-1:]) if not value.endswith("blocks") else None
    number = value[:-1] if unit else value.removesuffix("blocks")
    if not number.isdigit() or int(number) < 1:
        raise argparse.ArgumentTypeError(f"not a number of blocks or a duration such as 30d or 12h: {text}")
    return -(-int(number) * unit // SECONDS_PER_BLOCK) if unit else int(number)


def work_list(text: str) -> tuple[str, ...]:
    """`upload,train,call` (any of them, comma-separated)."""
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in ("upload", "train", "call")]
    if not names or unknown:
        raise argparse.ArgumentTypeError(f"choose from upload, train, call (comma-separated), not {text!r}")
    return names


def name(text: str) -> str:
    """A name or id that must say something: not empty, not only blanks."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def link(text: str) -> str:
    """A URL the service can fetch: a scheme and a host (`https://host/path`, `s3://bucket/key`, ...)."""
    try:
        parts = urllib.parse.urlsplit(text.strip())
    except ValueError:
        parts = None
    if parts is None or not parts.scheme or not parts.netloc or " " in text.strip():
        raise argparse.ArgumentTypeError(f"not a URL with a scheme and a host (such as https://host/data.zip): "
                                         f"{clip(text)!r}")
    return text.strip()


def address(text: str) -> str:
    """An Ethereum address: 0x and 40 hex digits; in mixed case, its EIP-55 checksum must hold."""
    if not _ADDRESS.fullmatch(text):
        raise argparse.ArgumentTypeError(f"not an Ethereum address (0x and 40 hex digits): {clip(text)}")
    if text[2:] not in (text[2:].lower(), text[2:].upper()):
        from eth_utils import is_checksum_address  # only for mixed case: the keccak hash is not free to import

        if not is_checksum_address(text):
            raise argparse.ArgumentTypeError(f"the address's mixed case is not its checksum (a typo?): {text}")
    return text
