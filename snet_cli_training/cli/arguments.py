"""argparse definitions of `snet training` (nothing else: no imports of grpc, web3 or the protocol)."""

from __future__ import annotations

import argparse

from snet_cli_training.cli.argtypes import expiration, model_status, non_negative_int, positive_int, seconds, work_list
from snet_cli_training.cli.dispatch import TrainingCommand
from snet_cli_training.cli.sandbox_arguments import add_sandbox
from snet_cli_training.constants import (
    DEFAULT_CHUNK_BYTES,
    RPC_TIMEOUT_SECONDS,
    STATUSES,
    WAIT_INTERVAL_SECONDS,
    WAIT_TIMEOUT_SECONDS,
)

DESCRIPTION = """\
Train your own model on a SingularityNET AI service: create models, check and upload
datasets, pay for validation and training through your MPE channel, wait for the result
and call the service with the trained model. Uses snet-cli's current identity and network.
"""

EPILOG = """\
exit codes: 0 done, 1 error, 2 usage error, 3 dataset rejected, 4 model ERRORED/DELETED,
5 wait timed out, 6 not confirmed (nothing paid or deleted), 130 interrupted.
"""


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout (human text goes to stderr)")


def _service_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("org_id", metavar="ORG", help="organization id")
    parser.add_argument("service_id", metavar="SERVICE", help="service id")
    _daemon_options(parser)


def _daemon_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--group", dest="group_name", metavar="GROUP",
                        help="payment group (default: the service's only group)")
    parser.add_argument("--endpoint", metavar="URL", help="daemon endpoint to use instead of the service metadata's")
    parser.add_argument("--timeout-rpc", dest="rpc_timeout", type=seconds, default=RPC_TIMEOUT_SECONDS, metavar="SECONDS",
                        help="deadline of each daemon call (default: 30)")


def _model_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model_id", metavar="MODEL_ID", help="model id")
    _where_model_lives(parser)


def _where_model_lives(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--org", dest="org_id", metavar="ORG",
                        help="organization of the model, when the local store does not know it")
    parser.add_argument("--service", dest="service_id", metavar="SERVICE",
                        help="service of the model, when the local store does not know it")
    _daemon_options(parser)


def _signing(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--wallet-index", type=non_negative_int, default=0, metavar="N",
                        help="wallet index of the identity, as in snet-cli (default: 0)")


def _yes(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("-y", "--yes", action="store_true", help=f"{what} without asking")


def _payment(parser: argparse.ArgumentParser) -> None:
    _yes(parser, "pay")
    parser.add_argument("--max-price", type=non_negative_int, metavar="COGS",
                        help="refuse (exit 6) when the price is above COGS; below it the price is still asked unless -y")
    parser.add_argument("--dry-run", action="store_true",
                        help="do every free step (checks, price, channel choice) and pay nothing")
    parser.add_argument("--open-channel", dest="open_channel", action="store_true",
                        help="open a payment channel when there is none (after the same confirmation)")
    parser.add_argument("--fund", action="store_true",
                        help="add funds to or extend the channel when it is short or about to expire (after the same confirmation)")
    parser.add_argument("--pay-again", action="store_true",
                        help="pay even though an earlier payment for the same work went through")
    _funding_amounts(parser, "with --open-channel or --fund: ")


def _funding_amounts(parser: argparse.ArgumentParser, prefix: str) -> None:
    parser.add_argument("--amount", type=positive_int, metavar="COGS",
                        help=f"{prefix}put at least COGS cogs into the channel (default: what this payment needs)")
    parser.add_argument("--expiration", type=expiration, metavar="BLOCKS|DURATION",
                        help=f"{prefix}the channel's expiry: blocks from now, or a duration such as 30d "
                             "(default: about 24 days)")


def _waiting(parser: argparse.ArgumentParser, *, flag: bool) -> None:
    if flag:
        parser.add_argument("--wait", action="store_true", help="wait until the model reaches the next state")
    parser.add_argument("--timeout", type=seconds, default=WAIT_TIMEOUT_SECONDS, metavar="SECONDS",
                        help="how long to wait (default: 3600)")
    parser.add_argument("--interval", type=seconds, default=WAIT_INTERVAL_SECONDS, metavar="SECONDS",
                        help="first polling interval, backing off to 30 s (default: 2)")


def _method_metadata_source(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--metadata", metavar="FILE", help="JSON file with the method's dataset limits (offline)")
    parser.add_argument("--model-id", metavar="MODEL_ID", help="take the limits of this model's method from its daemon")
    parser.add_argument("--org", dest="org_id", metavar="ORG", help="organization (with --service and --method)")
    parser.add_argument("--service", dest="service_id", metavar="SERVICE", help="service (with --org and --method)")
    parser.add_argument("--method", metavar="METHOD", help="trainable method: Method, Service.Method or package.Service.Method")
    _daemon_options(parser)


def _add(subparsers: argparse._SubParsersAction, name: str, handler: str, help_text: str,
         aliases: tuple[str, ...] = ()) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(name, help=help_text, description=help_text, aliases=list(aliases))
    parser.set_defaults(cmd=TrainingCommand, fn="run", training_handler=handler)
    _common(parser)
    return parser


def add_training_parser(root_subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `training` group and all its subcommands to snet-cli's root sub-parsers."""
    training = root_subparsers.add_parser(
        "training", help="Train your own models on SingularityNET services", description=DESCRIPTION,
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    subparsers = training.add_subparsers(title="training commands", metavar="COMMAND")
    subparsers.required = True
    add_subcommands(subparsers)
    return training


def add_subcommands(subparsers: argparse._SubParsersAction) -> None:
    """Every `snet training` subcommand."""
    p = _add(subparsers, "metadata", "models:metadata", "Show whether the service's daemon supports training, and its trainable methods")
    _service_target(p)

    p = _add(subparsers, "methods", "models:methods", "List every trainable method with its dataset limits")
    _service_target(p)

    p = _add(subparsers, "method-metadata", "models:method_metadata", "Show the dataset limits of a trainable method")
    p.add_argument("org_id", metavar="ORG", nargs="?", help="organization id")
    p.add_argument("service_id", metavar="SERVICE", nargs="?", help="service id")
    p.add_argument("method", metavar="METHOD", nargs="?", help="trainable method: Method, Service.Method or package.Service.Method")
    p.add_argument("--model-id", metavar="MODEL_ID", help="the method of this model (no positionals then)")
    p.add_argument("--schema", action="store_true", help="print the JSON Schema that check-dataset validates against")
    _daemon_options(p)

    p = _add(subparsers, "create-model", "models:create_model", "Create a model of a trainable method")
    _service_target(p)
    p.add_argument("--name", required=True, help="model name")
    p.add_argument("--method", metavar="METHOD", help="trainable method (optional when the service has only one)")
    p.add_argument("--description", default="", help="model description")
    p.add_argument("--public", dest="is_public", action="store_true", help="anyone may read and use the model")
    p.add_argument("--address", dest="addresses", action="append", default=[], metavar="ADDR",
                   help="an address that may use the model (repeatable)")
    _signing(p)

    p = _add(subparsers, "list-models", "models:list_models", "List the models you may see on a service")
    _service_target(p)
    p.add_argument("--method", metavar="METHOD", help="only models of this method")
    p.add_argument("--status", dest="statuses", action="append", type=model_status, default=[], metavar="STATUS",
                   help=f"only models in this status (repeatable): {', '.join(STATUSES)}")
    visibility = p.add_mutually_exclusive_group()
    visibility.add_argument("--public", dest="is_public", action="store_const", const=True, help="only public models")
    visibility.add_argument("--private", dest="is_public", action="store_const", const=False, help="only your private models")
    p.add_argument("--name", help="only models whose name contains this (case-insensitive)")
    p.add_argument("--created-by", metavar="ADDR", help="only models created by this address")
    p.add_argument("--page", type=non_negative_int, metavar="N", help="page number, from 0 (needs --page-size)")
    p.add_argument("--page-size", type=positive_int, metavar="N", help="models per page")
    p.add_argument("--all", dest="all_pages", action="store_true",
                   help="follow pages until an empty one (page size 100 unless --page-size)")
    _signing(p)

    p = _add(subparsers, "get-model", "models:get_model", "Show a model")
    _model_target(p)
    _signing(p)

    p = _add(subparsers, "update-model", "models:update_model", "Change a model's name, description or address list")
    _model_target(p)
    p.add_argument("--name", help="new name")
    p.add_argument("--description", help="new description")
    p.add_argument("--add-address", dest="add_addresses", action="append", default=[], metavar="ADDR",
                   help="give this address access (repeatable)")
    p.add_argument("--remove-address", dest="remove_addresses", action="append", default=[], metavar="ADDR",
                   help="take this address off the list (repeatable)")
    _signing(p)

    p = _add(subparsers, "delete-model", "models:delete_model", "Delete a model")
    _model_target(p)
    _yes(p, "delete")
    _signing(p)

    p = _add(subparsers, "check-dataset", "local:check_dataset",
             "Check a dataset (zip, tar, tar.gz, tar.bz2, tar.xz or a folder) against a method's limits, offline and free")
    p.add_argument("path", metavar="PATH", help="the dataset archive or folder")
    _method_metadata_source(p)

    p = _add(subparsers, "validate-price", "paid:validate_price", "Ask the price of validating a dataset for a model")
    _model_target(p)
    _signing(p)

    p = _add(subparsers, "train-price", "paid:train_price", "Ask the price of training a model")
    _model_target(p)
    _signing(p)

    p = _add(subparsers, "upload", "paid:upload", "Check, pay for and upload a dataset, then have it validated",
             aliases=("upload-and-validate",))
    _model_target(p)
    p.add_argument("path", metavar="PATH", help="the dataset archive, or a folder to pack")
    p.add_argument("--no-check", action="store_true", help="skip the local dataset check (not recommended)")
    p.add_argument("--chunk-size", type=positive_int, default=DEFAULT_CHUNK_BYTES, metavar="BYTES",
                   help="bytes per upload message (default and most: 4,000,000, under the daemon's 4 MiB message cap)")
    p.add_argument("--upload-mode", choices=("auto", "plain", "canary"), default="auto",
                   help="auto (default): plain where the daemon's free probe shows uploads work, else behind a "
                        "fail-closed canary message; plain or canary force one (for experts)")
    _payment(p)
    _waiting(p, flag=True)
    _signing(p)

    p = _add(subparsers, "validate", "paid:validate", "Pay for validation of data the service fetches from a link")
    _model_target(p)
    p.add_argument("--link", required=True, metavar="URL", help="where the service fetches the training data")
    _payment(p)
    _waiting(p, flag=True)
    _signing(p)

    p = _add(subparsers, "train", "paid:train", "Pay for training a validated model")
    _model_target(p)
    _payment(p)
    _waiting(p, flag=True)
    _signing(p)

    p = _add(subparsers, "wait", "wait:wait", "Wait until a model reaches a status")
    _model_target(p)
    p.add_argument("--until", type=model_status, metavar="STATUS",
                   help="target status (default: VALIDATED from VALIDATING, READY_TO_USE from TRAINING)")
    _waiting(p, flag=False)
    _signing(p)

    p = _add(subparsers, "call", "call:call", "Call a method of the service with a trained model (paid like snet client call)")
    _model_target(p)
    p.add_argument("method", metavar="METHOD", help="the service method to call")
    p.add_argument("params", metavar="PARAMS", nargs="?", default="{}",
                   help="request as a JSON object, or a file holding one (default: {})")
    _payment(p)
    _signing(p)

    _add(subparsers, "models", "local:models", "List the models this machine knows (the local model store)")

    p = _add(subparsers, "fund", "fund:fund", "Get the payment channel ready for the work ahead: one plan, confirmed once")
    p.add_argument("target", nargs="+", metavar="MODEL_ID | ORG SERVICE", help="a model, or a service")
    p.add_argument("--org", dest="org_id", metavar="ORG", help="organization of MODEL_ID, when the local store does not know it")
    p.add_argument("--service", dest="service_id", metavar="SERVICE", help="service of MODEL_ID, with --org")
    _daemon_options(p)
    needs = p.add_mutually_exclusive_group()
    needs.add_argument("--for", dest="fund_for", type=work_list, metavar="upload,train,call",
                       help="the work to fund, priced for MODEL_ID (default: upload,train,call)")
    needs.add_argument("--amount", type=positive_int, metavar="COGS", help="make the channel able to pay COGS cogs")
    p.add_argument("--expiration", type=expiration, metavar="BLOCKS|DURATION",
                   help="keep the channel open at least this long: blocks, or a duration such as 30d")
    p.add_argument("--dry-run", action="store_true", help="show the plan and send nothing")
    _yes(p, "send the transactions")
    _signing(p)

    p = _add(subparsers, "doctor", "doctor:doctor",
             "Check, for free, everything training on a service needs, and say how to fix what fails")
    p.add_argument("target", nargs="+", metavar="ORG SERVICE | MODEL_ID", help="a service, or a model of the local store")
    p.add_argument("--model-id", metavar="MODEL_ID", help="also check this model of the service (with ORG SERVICE)")
    _daemon_options(p)
    _signing(p)

    add_sandbox(subparsers, _add)


def root_parser() -> argparse.ArgumentParser:
    """A `snet` parser holding only the `training` group, identical to the plugin's (for in-process runs)."""
    root = argparse.ArgumentParser(prog="snet")
    add_training_parser(root.add_subparsers(metavar="COMMAND"))
    return root


def standalone_parser() -> argparse.ArgumentParser:
    """`snet training` as a parser of its own (for the man page), identical to the plugin's group."""
    return add_training_parser(argparse.ArgumentParser(prog="snet").add_subparsers(metavar="COMMAND"))
