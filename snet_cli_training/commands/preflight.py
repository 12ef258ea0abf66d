"""The free steps right before money moves: what an upload will do on this daemon, the model confirmed, a size warning.

Every step here is free and signs nothing for payment (docs/daemon-releases.md): the heartbeat
(cached per endpoint) and the upload probe (always fresh) decide how to upload, and get_model on
the paying daemon confirms the model, because a paid call naming a model the daemon does not
know crashes released daemons inside payment validation with the channel locked.
"""

from __future__ import annotations

from dataclasses import dataclass

from snet_cli_training import errors
from snet_cli_training.commands.context import Context
from snet_cli_training.console.streams import Console
from snet_cli_training.constants import LARGE_UPLOAD_BYTES
from snet_cli_training.daemon import heartbeat_cache
from snet_cli_training.daemon.behaviour import HeartbeatFacts, UploadBehaviour, judge, upload_refusal
from snet_cli_training.daemon.probe import ProbeResult, probe_upload
from snet_cli_training.store import StoredModel



@dataclass(frozen=True)
class Fingerprint:
    """What a daemon's free fingerprints said: heartbeat facts (or why none), the probe, and the verdict."""

    facts: HeartbeatFacts | None
    heartbeat_problem: str
    probe: ProbeResult
    behaviour: UploadBehaviour


def heartbeat(ctx: Context, endpoint: str) -> tuple[HeartbeatFacts | None, str]:
    """The heartbeat's facts of the daemon at `endpoint` (from the cache when fresh), or None and why."""
    cache = heartbeat_cache.HeartbeatCache(ctx.console.training_dir / heartbeat_cache.FILE_NAME, warn=ctx.console.warn)
    return cache.facts(endpoint)


def fingerprint(ctx: Context, endpoint: str, known: tuple[HeartbeatFacts | None, str] | None = None) -> Fingerprint:
    """The heartbeat (`known`, or asked now) and a fresh upload probe of the daemon at `endpoint`."""
    facts, problem = known if known is not None else heartbeat(ctx, endpoint)
    daemon = ctx.daemon(endpoint)
    probe = probe_upload(daemon.service_channel(), endpoint, timeout=daemon.timeout)
    return Fingerprint(facts, problem, probe, judge(facts, probe.pre_read))


def upload_mode(ctx: Context, known: StoredModel, requested: str) -> tuple[Fingerprint, str]:
    """The daemon's fingerprint and the mode to upload in; a daemon known to fail every upload is refused here, unsigned."""
    endpoint = known.location.endpoint
    found = fingerprint(ctx, endpoint)
    behaviour = found.behaviour
    if requested == "auto":
        if behaviour.mode == "refuse":
            raise errors.UploadUnsupported(upload_refusal(endpoint, behaviour, known.model_id, signed=False),
                                           endpoint=endpoint)
        return found, behaviour.mode
    if requested == "plain" and behaviour.mode != "plain":
        ctx.console.warn(f"--upload-mode plain on {behaviour.describe()}: the dataset may arrive without its first "
                         "message and still be paid for")
    return found, requested


def warn_if_large(console: Console, size_bytes: int, model_id: str) -> None:
    """Say before streaming that the daemon holds a dataset this big in memory, and what to do instead."""
    if size_bytes > LARGE_UPLOAD_BYTES:
        console.warn(f"the dataset is {size_bytes / 2**20:,.0f} MiB and the daemon holds a whole upload in memory: "
                     "a daemon that runs out dies with your channel's lock held. A service that can fetch the data "
                     f"itself is safer: `snet training validate {model_id} --link URL`")


UNCONFIRMED_VALIDATING = ("the daemon answered VALIDATING, which releases up to v6.1.0 also answer when the service "
                          "failed at the end of the upload: not confirmed yet. `snet training wait {model_id}` "
                          "(or --wait) polls until the service decides")
