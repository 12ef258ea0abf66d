"""`call MODEL_ID METHOD [PARAMS]`: the service's own method with a trained model, paid like `snet client call`."""

from __future__ import annotations

import hashlib
from typing import Any

from google.protobuf import json_format

from snet_cli_training import errors
from snet_cli_training.commands.context import Context
from snet_cli_training.commands.invocation import Invocation
from snet_cli_training.commands.outcome import Outcome
from snet_cli_training.commands.paid import pay
from snet_cli_training.payment.journal import Work
from snet_cli_training.commands.params import read_params, request_mistake
from snet_cli_training.console.render import clip
from snet_cli_training.services import short_name
from snet_cli_training.snetcli import service_call

MODEL_ID_TYPE = "training.ModelID"


def call(inv: Invocation) -> Outcome:
    """Refuses before paying unless the model is READY_TO_USE and PARAMS fit the request; then pays the group's price."""
    raw_params = read_params(inv.params)
    with Context(inv) as ctx:
        known = ctx.known_model(str(inv.where.model_id))
        daemon = ctx.daemon(known.location.endpoint)
        model = ctx.confirm_model(known)
        if model.status != "READY_TO_USE":
            raise errors.UserInputError(f"model {known.model_id} is {model.status}, not READY_TO_USE: "
                                        "it cannot be used yet; nothing was paid")
        where = known.location
        group = ctx.service_group(where.org_id, where.service_id, where.group_name)
        if group.price_in_cogs is None:
            raise errors.ConfigurationError(f"group {where.group_name} of {where.service} has no fixed price: "
                                            "this plugin pays fixed prices only")
        method = service_method(str(inv.method), model.grpc_service_name)
        stub_class, request_class = service_call.service_classes(ctx.snet, where, model.grpc_service_name, method)
        params = service_call.apply_modifiers(ctx.snet, raw_params)
        request = build_request(request_class, params, known.model_id, f"{model.grpc_service_name}.{method}")
        stub_method = getattr(stub_class(daemon.service_channel()), method)
        asked = hashlib.sha256(f"{model.grpc_service_name}.{method}\n".encode() + request.SerializeToString(deterministic=True))
        work = Work("call", known.model_id, f"request:{asked.hexdigest()}")
        payment = pay(ctx, known, work, group.price_in_cogs, lambda metadata: daemon.call_service(
            stub_method, request, rpc=method, model_id=known.model_id, payment_metadata=metadata),
            says=f"calling {model.grpc_service_name}.{method}", model_name=model.name)
    if not payment.paid:
        return Outcome.structured(payment.document, settle=payment.settle)
    response = payment.result
    return Outcome(json_format.MessageToDict(response, preserving_proto_field_name=True),
                   lambda: str(response).rstrip("\n"), settle=payment.settle)


def service_method(name: str, grpc_service: str) -> str:
    """METHOD as `method`, `Service.method` or `package.Service.method` → the method of the model's service."""
    service_part, _, method = name.rpartition(".")
    if not method:
        raise errors.UserInputError(f"bad method name {clip(name)!r}: use method, Service.method or package.Service.method")
    if service_part and short_name(service_part) != grpc_service:
        raise errors.UserInputError(f"{clip(name)!r} is not a method of {grpc_service}, the service the model was "
                                    f"trained for: use {grpc_service}.METHOD or just METHOD")
    return method


def build_request(request_class: Any, params: dict, model_id: str, method_name: str) -> Any:
    """The request from PARAMS, its `training.ModelID` field filled from MODEL_ID (PARAMS may not set it)."""
    fields = [f.name for f in request_class.DESCRIPTOR.fields
              if f.message_type is not None and f.message_type.full_name == MODEL_ID_TYPE]
    if not fields:
        raise errors.UserInputError(f"{method_name} takes no {MODEL_ID_TYPE}: it cannot use a trained model")
    if fields[0] in params:
        raise errors.UserInputError(f"PARAMS sets {fields[0]}: the model comes from MODEL_ID, leave it out")
    mistake = request_mistake(request_class.DESCRIPTOR, params, skip=fields[0])
    if mistake:
        raise errors.UserInputError(mistake)
    try:
        return request_class(**params, **{fields[0]: {"model_id": model_id}})
    except (TypeError, ValueError) as exc:
        raise errors.UserInputError(f"PARAMS do not fit {request_class.DESCRIPTOR.full_name}: {clip(str(exc))}") from exc
