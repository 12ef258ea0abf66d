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

    args = runner.args
    if args.metadata is None:
        raise UsageError("check-dataset needs --metadata FILE")
    limits = _limits_from_file(args.metadata)
    report = check(str(pathlib.Path(args.path)), limits)
    return dataset_outcome(report)


def dataset_outcome(report: Any) -> Outcome:
    """The Outcome of a dataset report: its JSON, its text, and exit 0 or 3."""
    status = ExitStatus.OK if report.ok else ExitStatus.DATASET_REJECTED
    return Outcome(report.to_dict(), report.text, status)
