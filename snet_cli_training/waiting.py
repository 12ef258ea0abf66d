"""Waiting for a model's status: get_model polled with backoff, a status line on stderr as it changes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from snet_cli_training import errors
from snet_cli_training.errors import ExitStatus
from snet_cli_training.runner import Outcome

if TYPE_CHECKING:
    from snet_cli_training.runner import Runner
    from snet_cli_training.session import ModelLocation, TrainingSession

ORDER = ("CREATED", "VALIDATING", "VALIDATED", "TRAINING", "READY_TO_USE")
FAILED = ("ERRORED", "DELETED")
MAX_INTERVAL = 30.0
# In progress: the next terminal state. Settled: that state itself (0 at once, or 4 for ERRORED/DELETED).
# CREATED has none: nothing is in progress, and waiting for it to change could last forever.
DEFAULT_TARGET = {"VALIDATING": "VALIDATED", "TRAINING": "READY_TO_USE", "VALIDATED": "VALIDATED",
                  "READY_TO_USE": "READY_TO_USE", "ERRORED": "READY_TO_USE", "DELETED": "READY_TO_USE"}


def default_target(status: str) -> str | None:
    """What `wait` waits for when --until is not given (None for CREATED)."""
    return DEFAULT_TARGET.get(status)


def verdict(status: str, target: str) -> ExitStatus | None:
    """The exit status once `status` settles the wait for `target`, or None to keep waiting."""
    if status == target:
        return ExitStatus.OK
    if status in FAILED:
        return ExitStatus.MODEL_FAILED
    if target in ORDER and status in ORDER and ORDER.index(status) >= ORDER.index(target):
        return ExitStatus.OK
    return None


def intervals(first: float, maximum: float = MAX_INTERVAL) -> Any:
    """Polling intervals: `first`, then growing by half each time up to `maximum`."""
    interval = first
    while True:
        yield min(interval, maximum)
        interval = min(interval * 1.5, maximum)


def wait_for(runner: Runner, session: TrainingSession, model_id: str, location: ModelLocation, until: str | None,
             *, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> Outcome:
    """Poll get_model until `until` (default: the next terminal state); the last model read, with CLI.md's exit code."""
    from snet_cli_training.client import model_to_dict

    args, env = runner.args, runner.env
    daemon = session.daemon(location.endpoint)
    deadline = clock() + args.timeout
    pauses = intervals(args.interval)
    last_status = None
    while True:
        try:
            model = daemon.get_model(model_id)
        except errors.ModelNotFound as exc:
            raise errors.ModelNotFound(f"model {model_id} can no longer be read (deleted, or access removed): {exc}") from exc
        document = model_to_dict(model, location.org_id, location.service_id, location.group_name)
        status = document["status"]
        target = until or default_target(status)
        if target is None:
            raise errors.UserInputError(f"model {model_id} is {status}: nothing is in progress to wait for; "
                                        "say what to wait for with --until STATUS")
        if status != last_status:
            session.remember(location, [model])
            env.say(f"model {model_id}: {status}" + ("" if status == target else f" (waiting for {target})"))
            last_status = status
        settled = verdict(status, target)
        if settled is not None:
            return Outcome.structured(document, settled)
        remaining = deadline - clock()
        if remaining <= 0:
            env.say(f"timed out after {args.timeout:g} s: model {model_id} is still {status}")
            return Outcome.structured(document, ExitStatus.TIMED_OUT)
        sleep(min(next(pauses), remaining))


def wait(runner: Runner) -> Outcome:
    """`wait MODEL_ID [--until STATUS]`."""
    from snet_cli_training.session import TrainingSession

    session = TrainingSession(runner)
    model_id = runner.args.model_id
    return wait_for(runner, session, model_id, session.model_location(model_id), runner.args.until)
