"""The pieces of `snet client call` the plugin reuses: the service's compiled stub and request class, PARAMS modifiers."""

from __future__ import annotations

from typing import Any

from snet_cli_training import errors
from snet_cli_training.services import Location
from snet_cli_training.snetcli.session import SnetSession
from snet_cli_training.snetcli.translate import arguments, snet_cli, stdout_to


def service_classes(session: SnetSession, location: Location, grpc_service: str, method: str) -> tuple[Any, Any]:
    """(stub class, request class) of `grpc_service.method` from the service spec snet-cli keeps for the service."""
    command = session.command
    with snet_cli(f"load {grpc_service}.{method} of {location.service}", errors.UserInputError), \
            stdout_to(session.out), arguments(command.args, org_id=location.org_id, service_id=location.service_id,
                                              method=method, service=grpc_service):
        stub_class, request_class, _ = command._import_protobuf_for_service()
    return stub_class, request_class


def apply_modifiers(session: SnetSession, params: dict) -> dict:
    """snet-cli's PARAMS key modifiers (`file@`, `b64encode@`, `b64decode@`), as `snet client call` applies them."""
    with snet_cli("read the call parameters", errors.UserInputError), stdout_to(session.out):
        return session.command._transform_call_params(params)
