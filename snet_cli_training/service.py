"""Which daemon to talk to: snet-cli's session checks, service resolution through its registry/IPFS cache, and method names.

Resolution goes through snet-cli's own MPEClientCommand helpers, so the plugin shares
snet-cli's cache under `~/.snet/mpe_client/` (an org or service read once is not read
again until its registration changes) and fails the same way for the same reasons,
but with the plugin's exceptions instead of snet-cli's `Error:` on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from snet_cli_training import errors

# The attributes snet-cli's channel and client helpers read from `args`; absent ones default to None.
_SNET_ARGS = ("org_id", "service_id", "group_name", "endpoint", "channel_id", "wallet_index", "yes",
              "skip_update_check", "multipartyescrow_at", "registry_at", "method", "service")


@dataclass(frozen=True)
class ServiceTarget:
    """A service's payment group and the daemon that serves it."""

    org_id: str
    service_id: str
    group_name: str
    group_id: str  # base64, as in the metadata
    endpoint: str
    payment_address: str
    price_in_cogs: int | None  # the fixed call price of the group, None when the group has no fixed price
    metadata: Mapping[str, Any] = field(compare=False, repr=False)


def check_session(config: Any) -> tuple[str, str]:
    """The session's (identity, network) names; ConfigurationError when snet-cli has no usable identity.

    Runs before any BlockchainCommand exists: without an identity snet-cli prints its
    "create your first identity" help on stdout and exits 1.
    """
    session = config["session"] if config.has_section("session") else {}
    if not session.get("identity"):
        raise errors.ConfigurationError("no identity in snet-cli's session: create one with `snet identity create ...`")
    try:
        return config.safe_get_session_identity_network_names()
    except Exception as exc:  # noqa: BLE001 - snet-cli raises bare Exception for every config problem
        raise errors.ConfigurationError(f"snet-cli's session is not usable: {exc}") from exc


def client_command(config: Any, args: Any, *, out_f: TextIO = sys.stderr, err_f: TextIO = sys.stderr) -> Any:
    """snet-cli's MPEClientCommand for the session (identity, web3), with `args` completed for its helpers.

    Pass stderr as `out_f`: snet-cli prints progress (channel cache, service init) there.
    """
    check_session(config)
    from snet.cli.commands.mpe_client import MPEClientCommand

    values = {name: getattr(args, name, None) for name in _SNET_ARGS}
    values.update(getattr(args, "__dict__", {}))
    namespace = argparse.Namespace(**values)
    try:
        with _stdout_to(err_f):
            return MPEClientCommand(config, namespace, out_f=out_f, err_f=err_f)
    except Exception as exc:  # noqa: BLE001 - identity providers raise anything (ledger, rpc, keystore)
        raise errors.ConfigurationError(f"cannot use snet-cli's session identity: {exc}") from exc


def resolve_service(config: Any, args: Any, *, org_id: str | None = None, service_id: str | None = None,
                    group_name: str | None = None, endpoint: str | None = None, command: Any = None,
                    out_f: TextIO = sys.stderr, err_f: TextIO = sys.stderr) -> ServiceTarget:
    """ORG SERVICE [--group] [--endpoint] → ServiceTarget, through snet-cli's registry and IPFS cache.

    Explicit keywords override `args.org_id`, `args.service_id`, `args.group_name` and `args.endpoint`.
    `command` reuses an existing MPEClientCommand (its identity and web3) instead of building one.
    """
    command = command or client_command(config, args, out_f=out_f, err_f=err_f)
    cmd_args = command.args
    cmd_args.org_id = org_id or getattr(args, "org_id", None)
    cmd_args.service_id = service_id or getattr(args, "service_id", None)
    if not cmd_args.org_id or not cmd_args.service_id:
        raise errors.UserInputError("an organization and a service are needed (ORG SERVICE, or --org and --service)")
    cmd_args.endpoint = endpoint or getattr(args, "endpoint", None)
    wanted_group = group_name or getattr(args, "group_name", None)
    org, service = cmd_args.org_id, cmd_args.service_id

    with _snet_cli_errors(org, service, command), _stdout_to(err_f):
        command._init_or_update_registered_org_if_needed()
        command._init_or_update_registered_service_if_needed()
        metadata = command._get_service_metadata()
        org_metadata = command._read_metadata_for_org(org)

    group = _choose_group(metadata.m.get("groups", []), wanted_group, org, service)
    cmd_args.group_name = group["group_name"]
    try:
        with _stdout_to(err_f):
            daemon_endpoint = command._get_endpoint_from_metadata_or_args(metadata)
    except Exception as exc:  # noqa: BLE001 - snet-cli raises bare Exception
        raise errors.ConfigurationError(
            f"service {org}/{service} lists no daemon endpoint for group {group['group_name']}: "
            f"pass --endpoint URL ({exc})") from exc
    payment_address = org_metadata.get_payment_address_for_group(group["group_name"])
    if not payment_address:
        raise errors.ConfigurationError(
            f"organization {org} has no payment group {group['group_name']} (the service's metadata names it)")
    return ServiceTarget(org_id=org, service_id=service, group_name=group["group_name"], group_id=group["group_id"],
                         endpoint=daemon_endpoint, payment_address=payment_address,
                         price_in_cogs=_fixed_price(group), metadata=metadata.m)


def _choose_group(groups: list, wanted: str | None, org: str, service: str) -> dict:
    names = [group["group_name"] for group in groups]
    if not groups:
        raise errors.ConfigurationError(f"service {org}/{service} has no payment group in its metadata")
    if wanted:
        for group in groups:
            if group["group_name"] == wanted:
                return group
        raise errors.UserInputError(
            f"service {org}/{service} has no payment group {wanted!r}; its groups: {', '.join(names)}")
    if len(groups) > 1:
        raise errors.UserInputError(
            f"service {org}/{service} has several payment groups, choose one with --group: {', '.join(names)}")
    return groups[0]


def _fixed_price(group: Mapping[str, Any]) -> int | None:
    for pricing in group.get("pricing", []):
        if pricing.get("price_model") == "fixed_price":
            return int(pricing["price_in_cogs"])
    return None


@contextlib.contextmanager
def _snet_cli_errors(org: str, service: str, command: Any) -> Iterator[None]:
    """snet-cli's bare exceptions while reading the registry and IPFS → the plugin's errors."""
    try:
        yield
    except errors.TrainingError:
        raise
    except Exception as exc:  # noqa: BLE001 - snet-cli raises bare Exception (and web3/IPFS their own)
        text = str(exc)
        network = _network_name(command)
        if "Cannot find Service" in text:
            raise errors.UserInputError(
                f"service {service} is not registered in organization {org} on network {network}") from exc
        if "Cannot find" in text and "Organization" in text:
            raise errors.UserInputError(f"organization {org} is not registered on network {network}") from exc
        raise errors.ConfigurationError(f"cannot read service {org}/{service} through snet-cli: {text}") from exc


def _network_name(command: Any) -> str:
    try:
        return command.config.get_session_network_name()
    except Exception:  # noqa: BLE001 - only used to word a message
        return "?"


@contextlib.contextmanager
def _stdout_to(stream: TextIO) -> Iterator[None]:
    """Some snet-cli helpers `print` to stdout directly; with --json stdout must stay clean."""
    if stream is sys.stdout:
        yield
        return
    with contextlib.redirect_stdout(stream):
        yield


def trainable_methods(daemon_client: Any) -> dict[str, list[str]]:
    """The daemon's trainable methods, {short service name: [method, ...]}."""
    metadata = daemon_client.get_training_metadata()
    if not metadata["trainingEnabled"]:
        raise errors.TrainingDisabled(f"training is not enabled on the daemon at {daemon_client.endpoint}",
                                      endpoint=daemon_client.endpoint)
    return metadata["trainingMethods"]


def resolve_method(name: str | None, training_methods: Mapping[str, list[str]]) -> tuple[str, str]:
    """`Method`, `Service.Method` or `package.Service.Method` → (short service, method) among the trainable ones.

    With no name, the only trainable method. UserInputError lists the choices otherwise.
    """
    pairs = [(_short(service), method) for service, methods in training_methods.items() for method in methods]
    choices = ", ".join(f"{service}.{method}" for service, method in pairs) or "none"
    if not pairs:
        raise errors.UserInputError("the service has no trainable methods")
    if name is None:
        if len(pairs) == 1:
            return pairs[0]
        raise errors.UserInputError(f"the service has several trainable methods, choose one with --method: {choices}")
    service_part, _, method = name.rpartition(".")
    if not method:
        raise errors.UserInputError(f"bad method name {name!r}: use Method, Service.Method or package.Service.Method")
    matches = [(service, candidate) for service, candidate in pairs
               if candidate == method and (not service_part or _short(service_part) == service)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        options = ", ".join(f"{service}.{candidate}" for service, candidate in matches)
        raise errors.UserInputError(f"method {name!r} is ambiguous: use one of {options}")
    raise errors.UserInputError(f"{name!r} is not a trainable method of the service; trainable: {choices}")


def _short(service: str) -> str:
    return service.rpartition(".")[2]


_PACKAGE = re.compile(r"^\s*package\s+([\w.]+)\s*;", re.M)
_SERVICE = re.compile(r"^\s*service\s+(\w+)\s*\{", re.M)


def service_packages(command: Any, org_id: str, service_id: str) -> dict[str, str]:
    """Short service name → proto package, read from the service spec snet-cli keeps for the service."""
    spec_dir = Path(command.get_service_spec_dir(org_id, service_id))
    packages: dict[str, str] = {}
    for proto in sorted(spec_dir.rglob("*.proto")) if spec_dir.is_dir() else []:
        text = proto.read_text(encoding="utf-8", errors="replace")
        package = _PACKAGE.search(text)
        for name in _SERVICE.findall(text):
            packages.setdefault(name, package.group(1) if package else "")
    return packages
