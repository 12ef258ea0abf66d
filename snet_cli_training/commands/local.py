"""Commands on this machine's files: check-dataset and models (the daemon only for a model's limits, or `models --prune`)."""

from __future__ import annotations

from snet_cli_training.console.render import not_found
from snet_cli_training import safejson
from snet_cli_training.commands.context import Context
from snet_cli_training.commands.invocation import Invocation
from snet_cli_training.commands.outcome import Outcome
from snet_cli_training.dataset.check import DatasetReport, check_dataset as check
from snet_cli_training.dataset.requirements import MethodLimits
from snet_cli_training import errors
from snet_cli_training.errors import ExitStatus, UserInputError
from snet_cli_training.store import ModelStore


def models(inv: Invocation) -> Outcome:
    """`models`: the local model store; `models forget MODEL_ID` and `models --prune` drop entries from it."""
    store = ModelStore(inv.console.training_dir, inv.console.warn)
    if inv.forget:
        return forget(inv, store, str(inv.where.model_id))
    if inv.prune:
        return prune(inv)
    stored = store.all()
    if not stored:
        inv.console.say("no models known on this machine yet (create-model, list-models and get-model add them)")
    deleted = sum(model.status == "DELETED" for model in stored)
    if deleted:
        inv.console.say(f"{deleted} of these models {'is' if deleted == 1 else 'are'} DELETED: "
                        "`snet training models --prune` forgets them")
    return Outcome.structured([model.to_dict() for model in stored])


def forget(inv: Invocation, store: ModelStore, model_id: str) -> Outcome:
    """`models forget MODEL_ID`: drop the model from the store (on every network; the daemon is not told)."""
    removed = store.remove([model for model in store.all() if model.model_id == model_id])
    if not removed:
        raise UserInputError(not_found("model", model_id, "not in the local model store"))
    inv.console.say(f"forgot model {model_id} (the daemon still has it: delete-model deletes it there)")
    return Outcome.structured([model.to_dict() for model in removed])


def prune(inv: Invocation) -> Outcome:
    """`models --prune`: one get_model per model of the session's network; drop those deleted or gone, keep the rest.

    A daemon that does not answer is not "gone": its models stay, and it is asked once, not once per model.
    """
    console = inv.console
    with Context(inv) as ctx:
        network = ctx.network
        stored = ctx.store.all()
        verdicts: dict[tuple[str, str], str] = {}
        silent: set[str] = set()
        for known in (model for model in stored if model.network == network):
            endpoint = known.location.endpoint
            if endpoint in silent:
                continue
            try:
                status = ctx.daemon(endpoint).get_model(known.model_id).status
            except errors.ModelNotFound:
                verdicts[(network, known.model_id)] = "not_found"
                continue
            except errors.DaemonUnavailable as exc:
                silent.add(endpoint)
                console.warn(f"kept the models of the daemon at {endpoint}: {exc}")
                continue
            except errors.DaemonError as exc:
                console.warn(f"kept model {known.model_id}: {exc}")
                continue
            if status == "DELETED":
                verdicts[(network, known.model_id)] = "deleted"
        removed = ctx.store.remove([model for model in stored if (model.network, model.model_id) in verdicts])
    elsewhere = sum(model.network != network for model in stored)
    console.say(f"forgot {len(removed)} of {len(stored) - elsewhere} models of network {network}"
                + (f"; {elsewhere} of other networks kept (prune them on their network)" if elsewhere else ""))
    return Outcome.structured([{**model.to_dict(), "reason": verdicts[(model.network, model.model_id)]} for model in removed])


def check_dataset(inv: Invocation) -> Outcome:
    """`check-dataset PATH`: the dataset report, exit 0 when it passes and 3 when it does not."""
    if inv.metadata_file is not None:  # the argument layer lets exactly one source of limits through
        limits = limits_from_file(inv.metadata_file)
    else:
        with Context(inv) as ctx:
            limits = MethodLimits.from_mapping(ctx.method_and_limits()[2])
    return dataset_outcome(inv, check(str(inv.path), limits))


def limits_from_file(path: str) -> MethodLimits:
    """A --metadata FILE: a JSON object with the method-metadata field names."""
    try:
        with open(path, encoding="utf-8") as handle:
            document = safejson.loads(handle.read())
    except FileNotFoundError:
        raise UserInputError(not_found("metadata file", path)) from None
    except OSError as exc:
        raise UserInputError(f"cannot read metadata file {path}: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise UserInputError(f"metadata file {path} is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise UserInputError(f"metadata file {path} must hold a JSON object with the method-metadata fields")
    return MethodLimits.from_mapping(document)


def dataset_outcome(inv: Invocation, report: DatasetReport) -> Outcome:
    """The Outcome of a dataset report (its warnings said on stderr): its JSON, its text, and exit 0 or 3."""
    for warning in report.warnings:
        inv.console.warn(warning)
    status = ExitStatus.OK if report.ok else ExitStatus.DATASET_REJECTED
    return Outcome(report.to_dict(), report.text, status)
