"""What an upload will do on a daemon, judged from its free fingerprints (pure; docs/daemon-releases.md).

The upload probe decides whether money is at risk (a pre-read may drop the first message); the
heartbeat, believed only as far as it is consistent, narrows down the release for the messages
and for the one case worth refusing before signing: an official v6.2.x build that pre-reads,
on which every upload fails.
"""

from __future__ import annotations

import enum
import re
from dataclasses import asdict, dataclass
from typing import Any

from snet_cli_training.daemon.probe import PreRead

# v5.2 to v6.0.0 send these; v6.1.0 and later send `trainingMetadata` instead (absent when training is off).
OLD_HEARTBEAT_KEYS = ("trainingEnabled", "trainingInProto", "trainingMethods", "dynamicPricing")
# CI builds say "dev", plain builds "", and images built from the repository's Dockerfile "6.1.0"
# for any code from v6.1.0 to v6.2.2: none of them says which release it is.
UNRELIABLE_VERSIONS = ("", "dev", "6.1.0")
_OFFICIAL_VERSION = re.compile(r"v(\d+)\.(\d+)\.(\d+)")
FIRST_NEW_HEARTBEAT = (6, 1, 0)  # the release that changed the heartbeat's fields
BROKEN_UPLOADS = ((6, 2, 0), (6, 2, 3))  # every upload fails; later releases are not known yet: canary


@dataclass(frozen=True)
class HeartbeatFacts:
    """What a heartbeat document says that matters to a training client."""

    claimed_version: str | None
    old_fields: bool
    dynamic_pricing: bool | None
    training_enabled: bool | None
    network: str | None
    status: str | None

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> HeartbeatFacts:
        old = any(key in document for key in OLD_HEARTBEAT_KEYS)
        if old:
            enabled = document.get("trainingEnabled")
        else:
            metadata = document.get("trainingMetadata")
            enabled = bool(metadata.get("trainingEnabled", True)) if isinstance(metadata, dict) else False
        version = document.get("daemonVersion")
        return cls(claimed_version=None if version is None else str(version), old_fields=old,
                   dynamic_pricing=_bool_or_none(document.get("dynamicPricing")),
                   training_enabled=_bool_or_none(enabled), network=_text_or_none(document.get("blockchainNetwork")),
                   status=_text_or_none(document.get("status")))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HeartbeatFacts:
        return cls(**{name: data.get(name) for name in cls.__dataclass_fields__})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def version(self) -> tuple[int, int, int] | None:
        """The release, when the heartbeat names one that can be believed: an official `vX.Y.Z` that fits its fields."""
        if self.claimed_version is None or self.claimed_version in UNRELIABLE_VERSIONS:
            return None
        match = _OFFICIAL_VERSION.fullmatch(self.claimed_version)
        if match is None:
            return None
        version = (int(match[1]), int(match[2]), int(match[3]))
        if (version >= FIRST_NEW_HEARTBEAT) == self.old_fields:
            return None  # the fields belong to other releases than the version claims
        return version

    def release(self) -> str:
        """The release as far as it is known, for messages."""
        version = self.version
        if version is not None:
            return "snet-daemon v{}.{}.{}".format(*version)
        if self.old_fields:
            return "snet-daemon v5.2 to v6.0.0" + (" with dynamic pricing on" if self.dynamic_pricing else "")
        said = "" if self.claimed_version is None else f", its heartbeat says version {self.claimed_version!r}"
        return f"snet-daemon v6.1.0 or newer{said}"


def _bool_or_none(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class Verdict(enum.Enum):
    """What an upload stream will do."""

    WORKS = "uploads work"
    DROPS_FIRST = "drops the first message of every upload"
    FAILS = "fails every upload"
    DROPS_OR_FAILS = "drops the first message of every upload, or fails every upload"
    UNKNOWN = "may drop the first message of an upload (its answer to the probe was unclear)"


@dataclass(frozen=True)
class UploadBehaviour:
    """The verdict, the release as far as known, and the version the heartbeat claimed (None without one)."""

    verdict: Verdict
    release: str
    claimed_version: str | None

    @property
    def mode(self) -> str:
        """How to upload: "plain", "canary" (fails closed on a daemon that drops), or "refuse" (known to fail)."""
        if self.verdict is Verdict.WORKS:
            return "plain"
        if self.verdict is Verdict.FAILS:
            return "refuse"
        return "canary"

    def describe(self) -> str:
        return f"{self.release}: {self.verdict.value}"


def judge(facts: HeartbeatFacts | None, pre_read: PreRead) -> UploadBehaviour:
    """The upload behaviour from the heartbeat's facts (None: no heartbeat) and the probe's answer."""
    release = facts.release() if facts is not None else "a snet-daemon of unknown release (no heartbeat)"
    claimed = facts.claimed_version if facts is not None else None
    if pre_read is PreRead.NONE:
        return UploadBehaviour(Verdict.WORKS, release, claimed)
    if pre_read is PreRead.UNCLEAR:
        return UploadBehaviour(Verdict.UNKNOWN, release, claimed)
    version = facts.version if facts is not None else None
    if version is not None and version < BROKEN_UPLOADS[0]:
        return UploadBehaviour(Verdict.DROPS_FIRST, release, claimed)
    if version is not None and version <= BROKEN_UPLOADS[1]:
        return UploadBehaviour(Verdict.FAILS, release, claimed)
    if facts is not None and facts.old_fields:
        return UploadBehaviour(Verdict.DROPS_FIRST, release, claimed)
    return UploadBehaviour(Verdict.DROPS_OR_FAILS, release, claimed)


def upload_refusal(endpoint: str, behaviour: UploadBehaviour, model_id: str, *, signed: bool) -> str:
    """Why an upload cannot work on this daemon, and what the user can do instead."""
    nothing = "nothing was charged" if signed else "nothing was signed or paid"
    return (f"the daemon at {endpoint} ({behaviour.release}) fails every upload: a bug of snet-daemon v6.2.0 to v6.2.3 "
            f"that no release fixes yet; {nothing}. Instead, let the service fetch the data itself: "
            f"`snet training validate {model_id} --link URL`, or ask the service provider to run a daemon "
            "whose uploads work (v6.0.0 with dynamic pricing off)")
