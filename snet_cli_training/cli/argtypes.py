"""Argument value types of `snet training`: argparse turns their ArgumentTypeError into a usage error (exit 2)."""

from __future__ import annotations

import argparse

from snet_cli_training.constants import STATUSES


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
