"""`wait`, and the waiting of `--wait`: get_model polled with backoff, a status line on stderr as it changes."""

from __future__ import annotations

from collections.abc import Iterator

from snet_cli_training import errors
from snet_cli_training.commands.context import Context
from snet_cli_training.commands.invocation import Invocation
from snet_cli_training.commands.outcome import Outcome
from snet_cli_training.constants import FAILED, MAX_WAIT_INTERVAL_SECONDS, PROGRESS
from snet_cli_training.errors import ExitStatus
from snet_cli_training.store import StoredModel

# In progress: the next settled state. Settled: that state itself (0 at once, or 4 for ERRORED/DELETED).
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
    if target in PROGRESS and status in PROGRESS and PROGRESS.index(status) >= PROGRESS.index(target):
        return ExitStatus.OK
    return None


def intervals(first: float, maximum: float = MAX_WAIT_INTERVAL_SECONDS) -> Iterator[float]:
    """Polling intervals: `first`, then growing by half each time up to `maximum`."""
    interval = first
    while True:
        yield min(interval, maximum)
        interval = min(interval * 1.5, maximum)


def wait_for(ctx: Context, known: StoredModel, until: str | None) -> Outcome:
    """Poll get_model until `until` (default: the next settled state); the last model read, with its exit status.

    A daemon that does not answer (down, restarting, past the deadline) is asked again with
    backoff until the timeout: only what retrying cannot fix (no access, the model gone) is an error.
    """
    console, options = ctx.console, ctx.invocation.waiting
    daemon = ctx.daemon(known.location.endpoint)
    deadline = console.clock() + options.timeout
    pauses = intervals(options.interval)
    document, last_status, unreachable = _known_document(known), None, False
    while True:
        remaining = deadline - console.clock()
        try:
            model = daemon.get_model(known.model_id, timeout=max(remaining, 0.5))
        except errors.DaemonUnavailable as exc:
            if remaining <= 0:
                console.say(f"timed out after {options.timeout:g} s: the daemon at {daemon.endpoint} still does not "
                            f"answer; model {known.model_id} was last seen {document['status']}")
                return Outcome.structured(document, ExitStatus.TIMED_OUT)
            pause = min(next(pauses), remaining)
            if not unreachable:
                console.say(f"daemon at {daemon.endpoint} unreachable ({exc}), retrying in {pause:g} s")
                unreachable = True
            console.sleep(pause)
            continue
        except errors.ModelNotFound as exc:
            raise errors.ModelNotFound(f"model {known.model_id} can no longer be read (deleted, or access removed): "
                                       f"{exc}") from exc
        if unreachable:
            console.say(f"daemon at {daemon.endpoint} answers again")
            unreachable = False
        status = model.status
        target = until or default_target(status)
        if target is None:
            raise errors.UserInputError(f"model {known.model_id} is {status}: nothing is in progress to wait for; "
                                        "say what to wait for with --until STATUS")
        if status != last_status:
            ctx.remember(known.location, [model])
            console.say(f"model {known.model_id}: {status}" + ("" if status == target else f" (waiting for {target})"))
            last_status = status
        document = model.to_dict(known.location)
        settled = verdict(status, target)
        if settled is not None:
            return Outcome.structured(document, settled)
        remaining = deadline - console.clock()
        if remaining <= 0:
            console.say(f"timed out after {options.timeout:g} s: model {known.model_id} is still {status}")
            return Outcome.structured(document, ExitStatus.TIMED_OUT)
        console.sleep(min(next(pauses), remaining))


def _known_document(known: StoredModel) -> dict:
    """What is known of a model before the daemon answered: where it lives and its last stored status."""
    where = known.location
    return {"model_id": known.model_id, "status": known.status or "UNKNOWN", "org_id": where.org_id,
            "service_id": where.service_id, "group_name": where.group_name}


def wait(inv: Invocation) -> Outcome:
    """`wait MODEL_ID [--until STATUS]`."""
    with Context(inv) as ctx:
        return wait_for(ctx, ctx.known_model(str(inv.where.model_id)), inv.waiting.until)
