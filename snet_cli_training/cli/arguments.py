"""argparse definitions of `snet training` (nothing else: no imports of grpc, web3 or the protocol)."""

from __future__ import annotations

import argparse

from snet_cli_training.cli import argtypes, options
from snet_cli_training.cli.argtypes import expiration, model_status, non_negative_int, positive_int, seconds, work_list
from snet_cli_training.cli.combinations import (
    at_least_one,
    checked_parser_class,
    counted,
    exclusive,
    needs,
    set_checks,
    together,
    when,
)
from snet_cli_training.cli.dispatch import TrainingCommand
from snet_cli_training.cli.examples import epilog
from snet_cli_training.cli.sandbox_arguments import add_sandbox
from snet_cli_training.constants import (
    DEFAULT_CHUNK_BYTES,
    RPC_TIMEOUT_SECONDS,
    STATUSES,
)
from snet_cli_training.errors import EXIT_MEANINGS

DESCRIPTION = """\
Train your own model on a SingularityNET AI service: create models, check and upload
datasets, pay for validation and training through your MPE channel, wait for the result
and call the service with the trained model. Uses snet-cli's current identity and network.
"""

EPILOG = "exit codes:\n" + "".join(f"  {int(code):<4} {meaning}\n" for code, meaning in EXIT_MEANINGS.items()) + \
    "\n`snet training COMMAND --help` shows a command's options and examples.\n"


def _add(subparsers: argparse._SubParsersAction, name: str, handler: str, help_text: str,
         aliases: tuple[str, ...] = ()) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(name, help=help_text, description=help_text, aliases=list(aliases), epilog=epilog(name),
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(cmd=TrainingCommand, fn="run", training_handler=handler)
    options.common_options(parser)
    return parser


def add_training_parser(root_subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `training` group and all its subcommands to snet-cli's root sub-parsers."""
    training = root_subparsers.add_parser(
        "training", help="Train your own models on SingularityNET services", description=DESCRIPTION,
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    subparsers = training.add_subparsers(title="training commands", metavar="COMMAND",
                                         parser_class=checked_parser_class(type(training)))
    subparsers.required = True
    add_subcommands(subparsers)
    return training


def add_subcommands(subparsers: argparse._SubParsersAction) -> None:
    """Every `snet training` subcommand."""
    p = _add(subparsers, "metadata", "models:metadata", "Show whether the service's daemon supports training, and its trainable methods")
    options.service_target(p)

    p = _add(subparsers, "methods", "models:methods", "List every trainable method with its dataset limits")
    options.service_target(p)

    p = _add(subparsers, "method-metadata", "models:method_metadata", "Show the dataset limits of a trainable method")
    p.add_argument("org_id", metavar="ORG", nargs="?", type=argtypes.name, help="organization id")
    p.add_argument("service_id", metavar="SERVICE", nargs="?", type=argtypes.name, help="service id")
    p.add_argument("method", metavar="METHOD", nargs="?", type=argtypes.name,
                   help="trainable method: Method, Service.Method or package.Service.Method")
    p.add_argument("--model-id", metavar="MODEL_ID", type=argtypes.name, help="the method of this model (no positionals then)")
    p.add_argument("--schema", action="store_true", help="print the JSON Schema that check-dataset validates against")
    options.daemon_options(p)
    set_checks(p, exclusive(("--model-id", ["model_id"]), ("ORG SERVICE", ["org_id", "service_id", "method"]), required=True),
               together(("ORG", "org_id"), ("SERVICE", "service_id")))

    p = _add(subparsers, "create-model", "models:create_model", "Create a model of a trainable method")
    options.service_target(p)
    p.add_argument("--name", required=True, type=argtypes.name, help="model name")
    p.add_argument("--method", metavar="METHOD", type=argtypes.name, help="trainable method (optional when the service has only one)")
    p.add_argument("--description", default="", help="model description")
    p.add_argument("--public", dest="is_public", action="store_true", help="anyone may read and use the model")
    p.add_argument("--address", dest="addresses", action="append", default=[], metavar="ADDR", type=argtypes.address,
                   help="an address that may use the model (repeatable)")
    options.signing_options(p)

    p = _add(subparsers, "list-models", "models:list_models", "List the models you may see on a service")
    options.service_target(p)
    p.add_argument("--method", metavar="METHOD", type=argtypes.name, help="only models of this method")
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
    options.signing_options(p)
    set_checks(p, exclusive(("--all", ["all_pages"]), ("--page", ["page"])),
               needs(("--page", "page"), ("--page-size", "page_size"), "the daemon treats a page size under 1 as 1"))

    p = _add(subparsers, "get-model", "models:get_model", "Show a model")
    options.model_target(p)
    options.signing_options(p)

    p = _add(subparsers, "update-model", "models:update_model", "Change a model's name, description or address list")
    options.model_target(p)
    p.add_argument("--name", type=argtypes.name, help="new name")
    p.add_argument("--description", help="new description")
    p.add_argument("--add-address", dest="add_addresses", action="append", default=[], metavar="ADDR", type=argtypes.address,
                   help="give this address access (repeatable)")
    p.add_argument("--remove-address", dest="remove_addresses", action="append", default=[], metavar="ADDR",
                   type=argtypes.address, help="take this address off the list (repeatable)")
    options.signing_options(p)
    set_checks(p, at_least_one(("--name", "name"), ("--description", "description"), ("--add-address", "add_addresses"),
                               ("--remove-address", "remove_addresses")))

    p = _add(subparsers, "delete-model", "models:delete_model", "Delete a model")
    options.model_target(p)
    options.yes_option(p, "delete")
    options.signing_options(p)

    p = _add(subparsers, "check-dataset", "local:check_dataset",
             "Check a dataset (zip, tar, tar.gz, tar.bz2, tar.xz or a folder) against a method's limits, offline and free")
    p.add_argument("path", metavar="PATH", help="the dataset archive or folder")
    options.method_metadata_source(p)

    p = _add(subparsers, "validate-price", "paid:validate_price", "Ask the price of validating a dataset for a model")
    options.model_target(p)
    options.signing_options(p)

    p = _add(subparsers, "train-price", "paid:train_price", "Ask the price of training a model")
    options.model_target(p)
    options.signing_options(p)

    p = _add(subparsers, "upload", "paid:upload", "Check, pay for and upload a dataset, then have it validated",
             aliases=("upload-and-validate",))
    options.model_target(p)
    p.add_argument("path", metavar="PATH", help="the dataset archive, or a folder to pack")
    p.add_argument("--no-check", action="store_true", help="skip the local dataset check (not recommended)")
    p.add_argument("--chunk-size", type=argtypes.chunk_size, default=DEFAULT_CHUNK_BYTES, metavar="BYTES",
                   help="bytes per upload message (default and most: 4,000,000, under the daemon's 4 MiB message cap)")
    p.add_argument("--upload-mode", choices=("auto", "plain", "canary"), default="auto",
                   help="auto (default): plain where the daemon's free probe shows uploads work, else behind a "
                        "fail-closed canary message; plain or canary force one (for experts)")
    options.payment_options(p)
    options.waiting_options(p, flag=True)
    options.signing_options(p)

    p = _add(subparsers, "validate", "paid:validate", "Pay for validation of data the service fetches from a link")
    options.model_target(p)
    p.add_argument("--link", required=True, metavar="URL", type=argtypes.link,
                   help="where the service fetches the training data (scheme and host, such as https://host/data.zip)")
    options.payment_options(p)
    options.waiting_options(p, flag=True)
    options.signing_options(p)

    p = _add(subparsers, "train", "paid:train", "Pay for training a validated model")
    options.model_target(p)
    options.payment_options(p)
    options.waiting_options(p, flag=True)
    options.signing_options(p)

    p = _add(subparsers, "wait", "wait:wait", "Wait until a model reaches a status")
    options.model_target(p)
    p.add_argument("--until", type=model_status, metavar="STATUS",
                   help="target status (default: VALIDATED from VALIDATING, READY_TO_USE from TRAINING)")
    options.waiting_options(p, flag=False)
    options.signing_options(p)

    p = _add(subparsers, "call", "call:call", "Call a method of the service with a trained model (paid like snet client call)")
    options.model_target(p)
    p.add_argument("method", metavar="METHOD", type=argtypes.name,
                   help="the service method to call: method, Service.method or package.Service.method")
    p.add_argument("params", metavar="PARAMS", nargs="?", default="{}",
                   help="request as a JSON object, or a file holding one (default: {})")
    options.payment_options(p)
    options.signing_options(p)

    p = _add(subparsers, "models", "local:models", "List the models this machine knows (the local model store), or forget some")
    p.add_argument("action", metavar="forget", nargs="?", choices=["forget"], help="forget MODEL_ID: drop it from the store")
    p.add_argument("model_id", metavar="MODEL_ID", nargs="?", type=argtypes.name, help="the model to forget")
    p.add_argument("--prune", action="store_true",
                   help="ask each model's daemon (get_model) and forget the models it deleted or no longer has")
    p.add_argument("--timeout-rpc", dest="rpc_timeout", type=seconds, default=RPC_TIMEOUT_SECONDS, metavar="SECONDS",
                   help="deadline of each daemon call of --prune (default: 30)")
    options.signing_options(p)
    set_checks(p, exclusive(("--prune", ["prune"]), ("forget", ["action"])),
               needs(("forget", "action"), ("MODEL_ID", "model_id")), needs(("MODEL_ID", "model_id"), ("forget", "action")))

    p = _add(subparsers, "fund", "fund:fund", "Get the payment channel ready for the work ahead: one plan, confirmed once")
    p.add_argument("target", nargs="+", metavar="MODEL_ID | ORG SERVICE", help="a model, or a service")
    p.add_argument("--org", dest="org_id", metavar="ORG", help="organization of MODEL_ID, when the local store does not know it")
    p.add_argument("--service", dest="service_id", metavar="SERVICE", help="service of MODEL_ID, with --org")
    options.daemon_options(p)
    sized = p.add_mutually_exclusive_group()
    sized.add_argument("--for", dest="fund_for", type=work_list, metavar="upload,train,call",
                       help="the work to fund, priced for MODEL_ID (default: upload,train,call)")
    sized.add_argument("--amount", type=positive_int, metavar="COGS", help="make the channel able to pay COGS cogs")
    p.add_argument("--expiration", type=expiration, metavar="BLOCKS|DURATION",
                   help="keep the channel open at least this long: blocks, or a duration such as 30d")
    p.add_argument("--dry-run", action="store_true", help="show the plan and send nothing")
    options.yes_option(p, "send the transactions")
    options.signing_options(p)
    set_checks(p, counted("MODEL_ID | ORG SERVICE", "target", (1, 2)),
               when("--for", lambda a: len(a.target) == 2 and bool(set(a.fund_for or ()) - {"call"}),
                    "upload and train need MODEL_ID (the daemon's prices are per model)"),
               when("ORG SERVICE", lambda a: len(a.target) == 2 and a.amount is None and not a.fund_for,
                    "needs --amount COGS or --for call (the daemon's prices are per model)"),
               needs(("--org", "org_id"), ("--service", "service_id")))

    p = _add(subparsers, "doctor", "doctor:doctor",
             "Check, for free, everything training on a service needs, and say how to fix what fails")
    p.add_argument("target", nargs="+", metavar="ORG SERVICE | MODEL_ID", help="a service, or a model of the local store")
    p.add_argument("--model-id", metavar="MODEL_ID", type=argtypes.name,
                   help="also check this model of the service (with ORG SERVICE)")
    options.daemon_options(p)
    options.signing_options(p)
    set_checks(p, counted("ORG SERVICE | MODEL_ID", "target", (1, 2)),
               when("--model-id", lambda a: len(a.target) == 1 and a.model_id is not None,
                    "goes with ORG SERVICE (MODEL_ID alone is checked with its own service)"))

    add_sandbox(subparsers, _add)


def root_parser() -> argparse.ArgumentParser:
    """A `snet` parser holding only the `training` group, identical to the plugin's (for in-process runs)."""
    root = argparse.ArgumentParser(prog="snet")
    add_training_parser(root.add_subparsers(metavar="COMMAND"))
    return root


def standalone_parser() -> argparse.ArgumentParser:
    """`snet training` as a parser of its own (for the man page), identical to the plugin's group."""
    return add_training_parser(argparse.ArgumentParser(prog="snet").add_subparsers(metavar="COMMAND"))
