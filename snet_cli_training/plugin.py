"""The `snet_cli.plugins` entry point: adds the `training` group to snet-cli's parser.

Imports only argparse-level code; grpc, web3 and the protocol load when a subcommand runs.
"""

from __future__ import annotations

import argparse
from typing import Any

from snet_cli_training.cli import arguments


def register(subparsers: argparse._SubParsersAction, config: Any) -> None:
    """Add `snet training ...` to snet-cli's root sub-parsers (called once per parser build)."""
    arguments.add_training_parser(subparsers)
