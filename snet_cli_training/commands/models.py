"""The free commands of a service and its models: metadata, methods, method-metadata, create/list/get/update/delete."""

from __future__ import annotations

from collections.abc import Sequence

from eth_utils import to_checksum_address

from snet_cli_training.commands.context import Context
from snet_cli_training.commands.invocation import Invocation
from snet_cli_training.commands.outcome import Outcome
from snet_cli_training.console import render
from snet_cli_training.console.consent import require_consent
from snet_cli_training.daemon.replies import Model
from snet_cli_training.dataset.requirements import MethodLimits, dataset_schema
from snet_cli_training.errors import UserInputError
from snet_cli_training.services import full_method_name
from snet_cli_training.snetcli import registry

DEFAULT_PAGE_SIZE = 100


def metadata(inv: Invocation) -> Outcome:
    """`metadata ORG SERVICE`: the daemon's training metadata."""
    with Context(inv) as ctx:
        location = ctx.service_location()
        return Outcome.structured(ctx.daemon(location.endpoint).get_training_metadata())


def methods(inv: Invocation) -> Outcome:
    """`methods ORG SERVICE`: every trainable method with its dataset limits."""
    with Context(inv) as ctx:
        location = ctx.service_location()
        daemon = ctx.daemon(location.endpoint)
        packages = registry.service_packages(ctx.snet, location.org_id, location.service_id)
        rows = []
        for service_name, method_names in sorted(daemon.get_training_metadata()["trainingMethods"].items()):
            for method_name in method_names:
                limits = daemon.get_method_metadata(service_name, method_name)
                rows.append({"service": service_name, "method": method_name,
                             "full_name": full_method_name(packages, service_name, method_name), **limits})
    if not rows:
        inv.console.say("the service has no trainable methods")
    return Outcome.structured(rows)


def method_metadata(inv: Invocation) -> Outcome:
    """`method-metadata ORG SERVICE METHOD` or `--model-id ID`: the limits, or with --schema their JSON Schema."""
    with Context(inv) as ctx:
        grpc_service, grpc_method, limits = ctx.method_and_limits()
    if inv.schema:
        schema = dataset_schema(MethodLimits.from_mapping(limits))
        return Outcome(schema, lambda: render.to_json(schema))
    return Outcome.structured({"service": grpc_service, "method": grpc_method, **limits})


def create_model(inv: Invocation) -> Outcome:
    """`create-model ORG SERVICE --name N`: a new model of a trainable method."""
    with Context(inv) as ctx:
        location = ctx.service_location()
        grpc_service, grpc_method = ctx.method_of_service(location, inv.method)
        model = ctx.daemon(location.endpoint).create_model(
            grpc_service, grpc_method, inv.name or "", description=inv.description or "",
            address_list=[to_checksum_address(a) for a in inv.addresses], is_public=bool(inv.is_public))
        ctx.remember(location, [model])
        return Outcome.structured(model.to_dict(location))


def paging(inv: Invocation) -> tuple[int, int, bool]:
    """(page, page_size, follow) from the paging flags (docs/commands.md#paging-rules; the argument layer checks them)."""
    if inv.all_pages:
        return 0, inv.page_size or DEFAULT_PAGE_SIZE, True
    return inv.page or 0, inv.page_size or 0, False


def unique_models(models: Sequence[Model]) -> list[Model]:
    """The models with duplicate ids dropped (the daemon can list one twice), the first kept."""
    seen: set[str] = set()
    kept = []
    for model in models:
        if model.model_id not in seen:
            seen.add(model.model_id)
            kept.append(model)
    return kept


def list_models(inv: Invocation) -> Outcome:
    """`list-models ORG SERVICE`: the models the caller may see, filtered and paged by the daemon."""
    page, page_size, follow = paging(inv)
    with Context(inv) as ctx:
        location = ctx.service_location()
        daemon = ctx.daemon(location.endpoint)
        grpc_service, grpc_method = ctx.method_of_service(location, inv.method) if inv.method else ("", "")
        filters = {"statuses": inv.statuses, "is_public": inv.is_public, "grpc_service_name": grpc_service,
                   "grpc_method_name": grpc_method, "name": inv.name or "", "created_by_address": inv.created_by or ""}
        found = daemon.get_all_models(page=page, page_size=page_size, **filters)
        batch = found
        while follow and len(batch) == page_size:
            page += 1
            batch = daemon.get_all_models(page=page, page_size=page_size, **filters)
            if not {model.model_id for model in batch} - {model.model_id for model in found}:
                break  # a daemon that ignores paging repeats itself: nothing new, stop
            found.extend(batch)
        models = unique_models(found)
        ctx.remember(location, models)
    return Outcome.structured([model.to_dict(location) for model in models])


def get_model(inv: Invocation) -> Outcome:
    """`get-model MODEL_ID`: the model, fresh from its daemon."""
    with Context(inv) as ctx:
        known = ctx.known_model(str(inv.where.model_id))
        model = ctx.daemon(known.location.endpoint).get_model(known.model_id)
        ctx.remember(known.location, [model])
        return Outcome.structured(model.to_dict(known.location))


def update_model(inv: Invocation) -> Outcome:
    """`update-model MODEL_ID`: new name, description or address list (current + added − removed)."""
    with Context(inv) as ctx:
        known = ctx.known_model(str(inv.where.model_id))
        daemon = ctx.daemon(known.location.endpoint)
        current = daemon.get_model(known.model_id)
        address_list: list[str] = []
        if inv.add_addresses or inv.remove_addresses:
            address_list = new_address_list(list(current.address_list), current.created_by_address,
                                            [to_checksum_address(a) for a in inv.add_addresses],
                                            [to_checksum_address(a) for a in inv.remove_addresses])
        if inv.remove_addresses:
            inv.console.warn("the daemon may keep read access for removed addresses (a known daemon issue); "
                             "check with get-model as that address")
        model = daemon.update_model(known.model_id, name=inv.name, description=inv.description, address_list=address_list)
        ctx.remember(known.location, [model])
        return Outcome.structured(model.to_dict(known.location))


def new_address_list(current: list[str], creator: str, add: list[str], remove: list[str]) -> list[str]:
    """current + add − remove, compared case-insensitively, the creator always kept (removing it is an error)."""
    creator_key = creator.lower()
    removing = {address.lower() for address in remove}
    if creator_key in removing:
        raise UserInputError(f"the creator {creator} always keeps access to the model: it cannot be removed")
    result: list[str] = []
    seen: set[str] = set()
    for address in [creator, *current, *add]:
        key = address.lower()
        if key and key not in seen and key not in removing:
            seen.add(key)
            result.append(address)
    return result


def delete_model(inv: Invocation) -> Outcome:
    """`delete-model MODEL_ID`: asks first (unless -y), naming the model; refuses to ask without a terminal."""
    with Context(inv) as ctx:
        known = ctx.known_model(str(inv.where.model_id))
        where = known.location
        daemon = ctx.daemon(where.endpoint)
        if not inv.yes:
            model = daemon.get_model(known.model_id)
            named = f' ("{model.name}")' if model.name else ""
            require_consent(inv.console, f"Delete model {known.model_id}{named} of {where.service}?", yes=False,
                            what="delete", document={"model_id": known.model_id, "status": model.status})
        status = daemon.delete_model(known.model_id)
        ctx.remember_status(known, status)
        return Outcome.structured({"model_id": known.model_id, "status": status})
