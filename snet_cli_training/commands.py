"""One handler per `snet training` subcommand: each takes the Runner and returns an Outcome."""

from __future__ import annotations

import json
import pathlib
from typing import TYPE_CHECKING, Any

from snet_cli_training import render
from snet_cli_training.errors import ExitStatus, UsageError, UserInputError
from snet_cli_training.runner import Outcome

if TYPE_CHECKING:
    from snet_cli_training.runner import Runner


def _store(runner: Runner):
    from snet_cli_training.store import ModelStore

    return ModelStore(runner.env.training_dir, runner.env.warn)


def models(runner: Runner) -> Outcome:
    """`models`: the local model store."""
    stored = [model.to_dict() for model in _store(runner).all()]
    if not stored:
        return Outcome(stored, "    No models known on this machine yet (create-model, list-models and get-model add them).")
    rows = [[m["model_id"], m["status"], m["org_id"], m["service_id"], m["group_name"],
             f'{m["grpc_service_name"]}.{m["grpc_method_name"]}', m["network"]] for m in stored]
    return Outcome(stored, render.table(rows, ["MODEL_ID", "STATUS", "ORG", "SERVICE", "GROUP", "METHOD", "NETWORK"]))


def _limits_from_file(path: str):
    from snet_cli_training.requirements import MethodLimits

    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except FileNotFoundError:
        raise UserInputError(f"metadata file not found: {path}") from None
    except OSError as exc:
        raise UserInputError(f"cannot read metadata file {path}: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise UserInputError(f"metadata file {path} is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise UserInputError(f"metadata file {path} must hold a JSON object with the method-metadata fields")
    return MethodLimits.from_mapping(document)


def check_dataset(runner: Runner) -> Outcome:
    """`check-dataset PATH`: the dataset report, exit 0 when it passes and 3 when it does not."""
    from snet_cli_training.dataset import check_dataset as check
    from snet_cli_training.requirements import MethodLimits

    args = runner.args
    sources = [args.metadata is not None, args.model_id is not None, bool(args.org_id or args.service_id or args.method)]
    if sum(sources) != 1:
        raise UsageError("check-dataset needs one of --metadata FILE, --model-id ID, or --org ORG --service SERVICE --method M")
    if args.metadata is not None:
        limits = _limits_from_file(args.metadata)
    else:
        if not args.model_id and not (args.org_id and args.service_id):
            raise UsageError("--org, --service and --method go together")
        _, _, fetched = _method_limits(runner, _session(runner))
        limits = MethodLimits.from_mapping(fetched)
    report = check(str(pathlib.Path(args.path)), limits)
    return dataset_outcome(report)


def dataset_outcome(report: Any) -> Outcome:
    """The Outcome of a dataset report: its JSON, its text, and exit 0 or 3."""
    status = ExitStatus.OK if report.ok else ExitStatus.DATASET_REJECTED
    return Outcome(report.to_dict(), report.text, status)


# --- the service and its models (free daemon calls) ------------------------------------------


def _session(runner: Runner):
    from snet_cli_training.session import TrainingSession

    return TrainingSession(runner)


def _model_document(model: Any, location: Any) -> dict:
    from snet_cli_training.client import model_to_dict

    return model_to_dict(model, location.org_id, location.service_id, location.group_name)


def metadata(runner: Runner) -> Outcome:
    """`metadata ORG SERVICE`: the daemon's training metadata."""
    session = _session(runner)
    location = session.service_location()
    document = session.daemon(location.endpoint).get_training_metadata()
    return Outcome.structured(document)


def _full_names(session: Any, location: Any) -> dict[str, str]:
    from snet_cli_training.service import service_packages

    return service_packages(session.command, location.org_id, location.service_id)


def methods(runner: Runner) -> Outcome:
    """`methods ORG SERVICE`: every trainable method with its dataset limits, in one table."""
    session = _session(runner)
    location = session.service_location()
    daemon = session.daemon(location.endpoint)
    packages = _full_names(session, location)
    rows = []
    for service_name, method_names in sorted(daemon.get_training_metadata()["trainingMethods"].items()):
        for method_name in method_names:
            limits = daemon.get_method_metadata(grpc_service_name=service_name, grpc_method_name=method_name)
            package = packages.get(service_name, "")
            full_name = f"{package}.{service_name}.{method_name}" if package else f"{service_name}.{method_name}"
            rows.append({"service": service_name, "method": method_name, "full_name": full_name, **limits})

    def text() -> str:
        if not rows:
            return "    The service has no trainable methods."
        headers = ["METHOD", "MAX_MB", "MAX_FILES", "MAX_FILE_MB", "FILE_TYPES", "DATASET_TYPES", "MAX_MODELS", "DESCRIPTION"]
        cells = [[r["full_name"], _limit(r["dataset_max_size_mb"]), _limit(r["dataset_max_count_files"]),
                  _limit(r["dataset_max_size_single_file_mb"]), r["dataset_files_type"] or "-", r["dataset_type"] or "-",
                  _limit(r["max_models_per_user"]), r["dataset_description"] or "-"] for r in rows]
        return render.table(cells, headers)

    return Outcome(rows, text)


def _limit(value: int) -> str:
    return str(value) if value else "-"


def _method_of_service(session: Any, location: Any, wanted: str | None) -> tuple[str, str]:
    from snet_cli_training.service import resolve_method, trainable_methods

    return resolve_method(wanted, trainable_methods(session.daemon(location.endpoint)))


def _limits_of_model(session: Any, model_id: str) -> tuple[Any, str, str, dict]:
    """The model's location, service and method, and its method's limits (asked by name, never by model id)."""
    location = session.model_location(model_id)
    daemon = session.daemon(location.endpoint)
    grpc_service, grpc_method = location.grpc_service_name, location.grpc_method_name
    if not (grpc_service and grpc_method):
        model = daemon.get_model(model_id)
        session.remember(location, [model])
        grpc_service, grpc_method = model.grpc_service_name, model.grpc_method_name
    limits = daemon.get_method_metadata(grpc_service_name=grpc_service, grpc_method_name=grpc_method)
    return location, grpc_service, grpc_method, limits


def _method_limits(runner: Runner, session: Any) -> tuple[str, str, dict]:
    """(service, method, limits) for method-metadata and check-dataset: by --model-id or by ORG SERVICE METHOD."""
    args = runner.args
    if args.model_id:
        _, grpc_service, grpc_method, limits = _limits_of_model(session, args.model_id)
        return grpc_service, grpc_method, limits
    location = session.service_location()
    grpc_service, grpc_method = _method_of_service(session, location, args.method)
    limits = session.daemon(location.endpoint).get_method_metadata(grpc_service_name=grpc_service,
                                                                   grpc_method_name=grpc_method)
    return grpc_service, grpc_method, limits


def method_metadata(runner: Runner) -> Outcome:
    """`method-metadata ORG SERVICE METHOD` or `--model-id ID`: the limits, or with --schema their JSON Schema."""
    from snet_cli_training.requirements import MethodLimits, dataset_schema

    args = runner.args
    if args.model_id and (args.org_id or args.service_id or args.method):
        raise UsageError("method-metadata takes ORG SERVICE METHOD or --model-id, not both")
    if not args.model_id and not (args.org_id and args.service_id):
        raise UsageError("method-metadata needs ORG SERVICE [METHOD] or --model-id ID")
    session = _session(runner)
    grpc_service, grpc_method, limits = _method_limits(runner, session)
    if args.schema:
        schema = dataset_schema(MethodLimits.from_mapping(limits))
        return Outcome(schema, lambda: render.to_json(schema))
    document = {"service": grpc_service, "method": grpc_method, **limits}
    return Outcome.structured(document)


def create_model(runner: Runner) -> Outcome:
    """`create-model ORG SERVICE --name N`: a new model of a trainable method."""
    args = runner.args
    session = _session(runner)
    location = session.service_location()
    grpc_service, grpc_method = _method_of_service(session, location, args.method)
    addresses = [_address(a) for a in args.addresses]
    model = session.daemon(location.endpoint).create_model(
        grpc_service, grpc_method, args.name, description=args.description, address_list=addresses,
        is_public=args.is_public)
    session.remember(location, [model])
    return Outcome.structured(_model_document(model, location))


def _address(text: str) -> str:
    from web3 import Web3

    if not Web3.is_address(text):
        raise UserInputError(f"not an Ethereum address: {text}")
    return Web3.to_checksum_address(text)


def _paging(args: Any) -> tuple[int, int, bool]:
    """(page, page_size, follow) from the paging flags, by CLI.md's rules."""
    if args.all_pages:
        if args.page is not None:
            raise UsageError("--all walks every page: it does not go with --page")
        return 0, args.page_size or 100, True
    if args.page is not None and args.page_size is None:
        raise UsageError("--page needs --page-size (the daemon treats a page size under 1 as 1)")
    return args.page or 0, args.page_size or 0, False


def unique_models(models: list[Any]) -> list[Any]:
    """The models with duplicate ids dropped (the daemon can list one twice), the first kept."""
    seen: set[str] = set()
    kept = []
    for model in models:
        if model.model_id not in seen:
            seen.add(model.model_id)
            kept.append(model)
    return kept


def list_models(runner: Runner) -> Outcome:
    """`list-models ORG SERVICE`: the models the caller may see, filtered and paged by the daemon."""
    args = runner.args
    page, page_size, follow = _paging(args)
    session = _session(runner)
    location = session.service_location()
    daemon = session.daemon(location.endpoint)
    grpc_service, grpc_method = ("", "")
    if args.method:
        grpc_service, grpc_method = _method_of_service(session, location, args.method)
    filters = {"statuses": args.statuses, "is_public": args.is_public, "grpc_service_name": grpc_service,
               "grpc_method_name": grpc_method, "name": args.name or "",
               "created_by_address": args.created_by or ""}
    found = daemon.get_all_models(page=page, page_size=page_size, **filters)
    while follow and found[-page_size:] and len(found) == (page + 1) * page_size:
        page += 1
        found.extend(daemon.get_all_models(page=page, page_size=page_size, **filters))
    models = unique_models(found)
    session.remember(location, models)
    documents = [_model_document(model, location) for model in models]
    return Outcome(documents, lambda: _models_text(documents))


def _models_text(documents: list[dict]) -> str:
    if not documents:
        return "    No models."
    rows = [[d["model_id"], d["status"], d["name"], f'{d["grpc_service_name"]}.{d["grpc_method_name"]}',
             "yes" if d["is_public"] else "no", d["created_by_address"], d["updated_date"]] for d in documents]
    return render.table(rows, ["MODEL_ID", "STATUS", "NAME", "METHOD", "PUBLIC", "CREATED_BY", "UPDATED"])


def get_model(runner: Runner) -> Outcome:
    """`get-model MODEL_ID`: the model, fresh from its daemon."""
    session = _session(runner)
    location = session.model_location(runner.args.model_id)
    model = session.daemon(location.endpoint).get_model(runner.args.model_id)
    session.remember(location, [model])
    return Outcome.structured(_model_document(model, location))


def update_model(runner: Runner) -> Outcome:
    """`update-model MODEL_ID`: new name, description or address list (current + added − removed)."""
    args = runner.args
    if args.name is None and args.description is None and not args.add_addresses and not args.remove_addresses:
        raise UsageError("nothing to change: give --name, --description, --add-address or --remove-address")
    session = _session(runner)
    location = session.model_location(args.model_id)
    daemon = session.daemon(location.endpoint)
    current = daemon.get_model(args.model_id)
    address_list: list[str] = []
    if args.add_addresses or args.remove_addresses:
        address_list = new_address_list(list(current.address_list), current.created_by_address,
                                        [_address(a) for a in args.add_addresses],
                                        [_address(a) for a in args.remove_addresses])
    if args.remove_addresses:
        runner.env.warn("the daemon may keep read access for removed addresses (a known daemon issue); "
                        "check with get-model as that address")
    model = daemon.update_model(args.model_id, name=args.name, description=args.description, address_list=address_list)
    session.remember(location, [model])
    return Outcome.structured(_model_document(model, location))


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


def delete_model(runner: Runner) -> Outcome:
    """`delete-model MODEL_ID`: asks first (unless -y); refuses to ask without a terminal."""
    from snet_cli_training.consent import require_consent

    args = runner.args
    session = _session(runner)
    location = session.model_location(args.model_id)
    require_consent(runner.env, f"Delete model {args.model_id} of {location.org_id}/{location.service_id}?",
                    yes=args.yes, what="delete")
    status = session.daemon(location.endpoint).delete_model(args.model_id)
    session.remember_status(args.model_id, location, status)
    document = {"model_id": args.model_id, "status": status}
    return Outcome.structured(document)


# --- paid commands and waiting (paid.py, waiting.py) ------------------------------------------


def validate_price(runner: Runner) -> Outcome:
    """`validate-price MODEL_ID`."""
    from snet_cli_training import paid

    return paid.price(runner, "validate_model")


def train_price(runner: Runner) -> Outcome:
    """`train-price MODEL_ID`."""
    from snet_cli_training import paid

    return paid.price(runner, "train_model")


def upload(runner: Runner) -> Outcome:
    """`upload MODEL_ID PATH`."""
    from snet_cli_training import paid

    return paid.upload(runner)


def validate(runner: Runner) -> Outcome:
    """`validate MODEL_ID --link URL`."""
    from snet_cli_training import paid

    return paid.validate(runner)


def train(runner: Runner) -> Outcome:
    """`train MODEL_ID`."""
    from snet_cli_training import paid

    return paid.train(runner)


def call(runner: Runner) -> Outcome:
    """`call MODEL_ID METHOD [PARAMS]`."""
    from snet_cli_training import paid

    return paid.call_service(runner)


def wait(runner: Runner) -> Outcome:
    """`wait MODEL_ID`."""
    from snet_cli_training import waiting

    return waiting.wait(runner)
