"""`Invocation`: one `snet training` command line, read once from argparse, with its console and snet-cli config.

Handlers take it and never read argparse's namespace: every option has one typed home here
(as twine's Settings or httpie's Environment do).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from snet_cli_training.console.streams import Console
from snet_cli_training.constants import DEFAULT_CHUNK_BYTES, RPC_TIMEOUT_SECONDS, WAIT_INTERVAL_SECONDS, WAIT_TIMEOUT_SECONDS
from snet_cli_training.commands.sandbox_options import SandboxOptions
from snet_cli_training.payment.options import PaymentOptions
from snet_cli_training.payment.progress import PaymentProgress


@dataclasses.dataclass(frozen=True)
class Where:
    """Where the command's service or model is: ORG SERVICE (or --org/--service), --group, --endpoint, MODEL_ID."""

    org_id: str | None = None
    service_id: str | None = None
    group_name: str | None = None
    endpoint: str | None = None
    model_id: str | None = None


@dataclasses.dataclass(frozen=True)
class WaitOptions:
    """`--wait`, `--until`, `--timeout`, `--interval`."""

    wait: bool = False
    until: str | None = None
    timeout: float = WAIT_TIMEOUT_SECONDS
    interval: float = WAIT_INTERVAL_SECONDS


@dataclasses.dataclass(frozen=True)
class Invocation:
    """Everything one command needs to know about how it was called."""

    console: Console
    config: Any = None  # snet-cli's Config
    handler: str = ""  # "module:function" under snet_cli_training.commands
    json: bool = False
    print_traceback: bool = False
    where: Where = Where()
    rpc_timeout: float = RPC_TIMEOUT_SECONDS
    wallet_index: int = 0
    yes: bool = False
    payment: PaymentOptions = PaymentOptions()
    waiting: WaitOptions = WaitOptions()
    # What the subcommand works on (None / empty where it has no such option).
    method: str | None = None
    name: str | None = None
    description: str | None = None
    is_public: bool | None = None
    addresses: tuple[str, ...] = ()
    add_addresses: tuple[str, ...] = ()
    remove_addresses: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    created_by: str | None = None
    page: int | None = None
    page_size: int | None = None
    all_pages: bool = False
    path: str | None = None
    metadata_file: str | None = None
    schema: bool = False
    no_check: bool = False
    chunk_size: int = DEFAULT_CHUNK_BYTES
    upload_mode: str = "auto"
    link: str | None = None
    params: str = "{}"
    target: tuple[str, ...] = ()  # fund's and doctor's MODEL_ID or ORG SERVICE
    fund_for: tuple[str, ...] = ()  # fund --for
    # Filled in as the command pays, for the message of an interruption (the one mutable part).
    progress: PaymentProgress = dataclasses.field(default_factory=PaymentProgress)
    forget: bool = False  # models forget MODEL_ID
    prune: bool = False  # models --prune
    sandbox: SandboxOptions = SandboxOptions()

    @classmethod
    def from_argparse(cls, args: Any, config: Any, console: Console) -> Invocation:
        """Read the parsed command line once."""
        def value(name: str, default: Any = None) -> Any:
            found = getattr(args, name, default)
            return default if found is None and default is not None else found

        yes = bool(value("yes", False))
        return cls(
            console=console, config=config, handler=value("training_handler", ""), json=bool(value("json", False)),
            print_traceback=bool(value("print_traceback", False)),
            where=Where(value("org_id"), value("service_id"), value("group_name"), value("endpoint"), value("model_id")),
            rpc_timeout=value("rpc_timeout", RPC_TIMEOUT_SECONDS), wallet_index=value("wallet_index", 0), yes=yes,
            payment=PaymentOptions(yes=yes, max_price=value("max_price"), dry_run=bool(value("dry_run", False)),
                                   open_channel=bool(value("open_channel", False)), fund=bool(value("fund", False)),
                                   pay_again=bool(value("pay_again", False)), amount=value("amount"),
                                   expiration_blocks=value("expiration"), verbose=bool(value("verbose", False))),
            waiting=WaitOptions(wait=bool(value("wait", False)), until=value("until"),
                                timeout=value("timeout", WAIT_TIMEOUT_SECONDS),
                                interval=value("interval", WAIT_INTERVAL_SECONDS)),
            method=value("method"), name=value("name"), description=value("description"), is_public=value("is_public"),
            addresses=tuple(value("addresses", ())), add_addresses=tuple(value("add_addresses", ())),
            remove_addresses=tuple(value("remove_addresses", ())), statuses=tuple(value("statuses", ())),
            created_by=value("created_by"), page=value("page"), page_size=value("page_size"),
            all_pages=bool(value("all_pages", False)), path=value("path"), metadata_file=value("metadata"),
            schema=bool(value("schema", False)), no_check=bool(value("no_check", False)),
            chunk_size=value("chunk_size", DEFAULT_CHUNK_BYTES), upload_mode=value("upload_mode", "auto"),
            link=value("link"), params=value("params", "{}"),
            target=tuple(value("target", ())), fund_for=tuple(value("fund_for", ())),
            forget=value("action") == "forget", prune=bool(value("prune", False)),
            sandbox=SandboxOptions.from_argparse(args))
