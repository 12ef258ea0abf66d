"""Argument value types of `snet training`: argparse turns their ArgumentTypeError into a usage error (exit 2)."""

from __future__ import annotations

import argparse

from snet_cli_training.constants import SECONDS_PER_BLOCK, STATUSES


def positive_int(text: str) -> int:
    """A whole number of at least 1."""
    value = non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}")
    return value


def non_negative_int(text: str) -> int:
    """A whole number of at least 0."""
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text}")
    return value


def seconds(text: str) -> float:
    """A number of seconds above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds: {text}")
    return value


def model_status(text: str) -> str:
    """A model status name, in any case."""
    name = text.upper()
    if name not in STATUSES:
        raise argparse.ArgumentTypeError(f"unknown status {text!r}: choose from {', '.join(STATUSES)}")
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
