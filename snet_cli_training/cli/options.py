"""The option groups the subcommands share: where the service or model is, signing, paying, waiting, limits."""

from __future__ import annotations

import argparse

from snet_cli_training.cli import argtypes
from snet_cli_training.cli.argtypes import expiration, non_negative_int, positive_int, seconds
from snet_cli_training.cli.combinations import exclusive, needs, set_checks, together
from snet_cli_training.constants import RPC_TIMEOUT_SECONDS, WAIT_INTERVAL_SECONDS, WAIT_TIMEOUT_SECONDS


def common_options(parser: argparse.ArgumentParser) -> None:
    """--json, on every subcommand."""
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout (human text goes to stderr)")


def service_target(parser: argparse.ArgumentParser) -> None:
    """ORG SERVICE and the daemon options."""
    parser.add_argument("org_id", metavar="ORG", type=argtypes.name, help="organization id")
    parser.add_argument("service_id", metavar="SERVICE", type=argtypes.name, help="service id")
    daemon_options(parser)


def daemon_options(parser: argparse.ArgumentParser) -> None:
    """--group, --endpoint, --timeout-rpc."""
    parser.add_argument("--group", dest="group_name", metavar="GROUP", type=argtypes.name,
                        help="payment group (default: the service's only group)")
    parser.add_argument("--endpoint", metavar="URL", help="daemon endpoint to use instead of the service metadata's")
    parser.add_argument("--timeout-rpc", dest="rpc_timeout", type=seconds, default=RPC_TIMEOUT_SECONDS, metavar="SECONDS",
                        help="deadline of each daemon call (default: 30)")


def model_target(parser: argparse.ArgumentParser) -> None:
    """MODEL_ID and where the model lives."""
    parser.add_argument("model_id", metavar="MODEL_ID", type=argtypes.name, help="model id")
    where_model_lives(parser)


def where_model_lives(parser: argparse.ArgumentParser) -> None:
    """--org and --service (when the local store does not know a model) and the daemon options."""
    parser.add_argument("--org", dest="org_id", metavar="ORG", type=argtypes.name,
                        help="organization of the model, when the local store does not know it")
    parser.add_argument("--service", dest="service_id", metavar="SERVICE", type=argtypes.name,
                        help="service of the model, when the local store does not know it")
    daemon_options(parser)
    set_checks(parser, together(("--org", "org_id"), ("--service", "service_id")))


def signing_options(parser: argparse.ArgumentParser) -> None:
    """--wallet-index, on commands that sign."""
    parser.add_argument("--wallet-index", type=non_negative_int, default=0, metavar="N",
                        help="wallet index of the identity, as in snet-cli (default: 0)")


def yes_option(parser: argparse.ArgumentParser, what: str) -> None:
    """-y/--yes: do WHAT without asking."""
    parser.add_argument("-y", "--yes", action="store_true", help=f"{what} without asking")


def payment_options(parser: argparse.ArgumentParser) -> None:
    """How a paid command may pay: -y, --max-price, --dry-run, channel fixes, --pay-again, -v."""
    yes_option(parser, "pay")
    parser.add_argument("--max-price", type=argtypes.cogs, metavar="COGS",
                        help="refuse (exit 6) when the price is above COGS; below it the price is still asked unless -y")
    parser.add_argument("--dry-run", action="store_true",
                        help="do every free step (checks, price, channel choice) and pay nothing")
    parser.add_argument("--open-channel", dest="open_channel", action="store_true",
                        help="open a payment channel when there is none (after the same confirmation)")
    parser.add_argument("--fund", action="store_true",
                        help="add funds to or extend the channel when it is short or about to expire (after the same confirmation)")
    parser.add_argument("--pay-again", action="store_true",
                        help="pay even though an earlier payment for the same work went through")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="before the question, show the channel, nonce and cumulative amount that will be signed")
    funding_amounts(parser, "with --open-channel or --fund: ")


def funding_amounts(parser: argparse.ArgumentParser, prefix: str) -> None:
    """--amount and --expiration of a channel fix (PREFIX starts their help)."""
    parser.add_argument("--amount", type=positive_int, metavar="COGS",
                        help=f"{prefix}put at least COGS cogs into the channel (default: what this payment needs)")
    parser.add_argument("--expiration", type=expiration, metavar="BLOCKS|DURATION",
                        help=f"{prefix}the channel's expiry: blocks from now, or a duration such as 30d "
                             "(default: about 24 days)")


def waiting_options(parser: argparse.ArgumentParser, *, flag: bool) -> None:
    """--wait (with FLAG), --timeout, --interval."""
    if flag:
        parser.add_argument("--wait", action="store_true", help="wait until the model reaches the next state")
    parser.add_argument("--timeout", type=seconds, default=WAIT_TIMEOUT_SECONDS, metavar="SECONDS",
                        help="how long to wait (default: 3600)")
    parser.add_argument("--interval", type=seconds, default=WAIT_INTERVAL_SECONDS, metavar="SECONDS",
                        help="first polling interval, backing off to 30 s (default: 2)")


def method_metadata_source(parser: argparse.ArgumentParser) -> None:
    """Where check-dataset finds the limits: --metadata, --model-id, or --org --service --method."""
    parser.add_argument("--metadata", metavar="FILE", help="JSON file with the method's dataset limits (offline)")
    parser.add_argument("--model-id", metavar="MODEL_ID", type=argtypes.name,
                        help="take the limits of this model's method from its daemon")
    parser.add_argument("--org", dest="org_id", metavar="ORG", type=argtypes.name, help="organization (with --service and --method)")
    parser.add_argument("--service", dest="service_id", metavar="SERVICE", type=argtypes.name,
                        help="service (with --org and --method)")
    parser.add_argument("--method", metavar="METHOD", type=argtypes.name,
                        help="trainable method: Method, Service.Method or package.Service.Method")
    daemon_options(parser)
    set_checks(parser,
               exclusive(("--metadata", ["metadata"]), ("--model-id", ["model_id"]),
                         ("--org/--service/--method", ["org_id", "service_id", "method"]), required=True),
               together(("--org", "org_id"), ("--service", "service_id")),
               needs(("--method", "method"), ("--org", "org_id")))
