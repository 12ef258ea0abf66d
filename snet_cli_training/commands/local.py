"""Commands that need no daemon and no chain (except check-dataset by a model's limits): check-dataset, models."""

from __future__ import annotations

import json

from snet_cli_training.commands.context import Context
from snet_cli_training.commands.invocation import Invocation
from snet_cli_training.commands.outcome import Outcome
from snet_cli_training.dataset.check import DatasetReport, check_dataset as check
from snet_cli_training.dataset.requirements import MethodLimits
from snet_cli_training.errors import ExitStatus, UserInputError, not_found
from snet_cli_training.store import ModelStore


def models(inv: Invocation) -> Outcome:
    """`models`: the local model store."""
    stored = [model.to_dict() for model in ModelStore(inv.console.training_dir, inv.console.warn).all()]
    if not stored:
        inv.console.say("no models known on this machine yet (create-model, list-models and get-model add them)")
    return Outcome.structured(stored)


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
            document = json.load(handle)
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
