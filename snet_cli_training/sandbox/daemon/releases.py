"""Which snet-daemon release the double behaves like (docs/daemon-releases.md), and the crashes it would have had.

`intended` is the daemon as its code means to work (the double's behaviour before releases were
modelled). The others reproduce what each release does to a training client: the stream
interceptor's pre-read of the first upload message, the heartbeat's fields, the create_model
typo, and the calls that crash the daemon process. The double does not die on a crash: it
answers the call as a lost connection would (UNAVAILABLE, payment rolled back), records it, and
keeps serving, so that a test sees the crash and the rest of the suite keeps its network.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

CRASH_TEXT = "connection lost: the daemon process crashed"


@dataclass(frozen=True)
class Release:
    """What one daemon behaviour does."""

    name: str
    default_version: str  # the heartbeat's daemonVersion unless one is set
    pre_reads: bool  # the stream interceptor reads the first upload message before the handler
    drops_first: bool  # ... and the handler never sees it (else: the handler's first read fails)
    old_heartbeat: bool  # v5.2-v6.0.0 heartbeat fields (trainingEnabled ..., dynamicPricing)
    dynamic_pricing: bool
    typo: bool  # create_model without authorization says "invalud"
    crashes: bool  # the hazards of docs/daemon-releases.md#hazards kill the process
    health_list_crashes: bool  # grpc.health.v1.Health/List panics (v6.0.0)


RELEASES = {release.name: release for release in (
    Release("intended", "dev", pre_reads=False, drops_first=False, old_heartbeat=False, dynamic_pricing=False,
            typo=False, crashes=False, health_list_crashes=False),
    Release("v6.0", "v6.0.0", pre_reads=False, drops_first=False, old_heartbeat=True, dynamic_pricing=False,
            typo=True, crashes=True, health_list_crashes=True),
    Release("v6.0-dynamic-pricing", "v6.0.0", pre_reads=True, drops_first=True, old_heartbeat=True,
            dynamic_pricing=True, typo=True, crashes=True, health_list_crashes=True),
    Release("v6.1", "v6.1.0", pre_reads=True, drops_first=True, old_heartbeat=False, dynamic_pricing=False,
            typo=False, crashes=True, health_list_crashes=False),
    Release("v6.2", "v6.2.3", pre_reads=True, drops_first=False, old_heartbeat=False, dynamic_pricing=False,
            typo=False, crashes=True, health_list_crashes=False),
)}
BEHAVIOURS = tuple(RELEASES)
DEFAULT_NETWORK = "local"


class Behaviour:
    """The double's current release, heartbeat version and network, and the crashes it recorded (control API: /behaviour)."""

    def __init__(self, behaviour: str = "intended", daemon_version: str | None = None,
                 blockchain_network: str = DEFAULT_NETWORK) -> None:
        self._startup = {"behaviour": behaviour, "daemon_version": daemon_version,
                         "blockchain_network": blockchain_network}
        self._lock = threading.Lock()
        self.crashes: list[dict] = []
        self.update(dict(self._startup))

    def update(self, changes: dict) -> None:
        """Set `behaviour`, `daemon_version` (None: the release's own) and/or `blockchain_network`."""
        unknown = set(changes) - {"behaviour", "daemon_version", "blockchain_network"}
        if unknown:
            raise ValueError(f"unknown behaviour keys: {sorted(unknown)}")
        name = changes.get("behaviour")
        if name is not None and name not in RELEASES:
            raise ValueError(f"unknown daemon behaviour {name!r}: one of {', '.join(BEHAVIOURS)}")
        with self._lock:
            if name is not None:
                self.release = RELEASES[name]
                self._version = None
            if "daemon_version" in changes:
                self._version = None if changes["daemon_version"] is None else str(changes["daemon_version"])
            if "blockchain_network" in changes:
                self.network = str(changes["blockchain_network"])

    def reset(self) -> None:
        """Back to the behaviour the double was started with; no crashes."""
        self.update(dict(self._startup))
        with self._lock:
            self.crashes.clear()

    @property
    def version(self) -> str:
        return self.release.default_version if self._version is None else self._version

    def record_crash(self, rpc: str, cause: str) -> str:
        """Note that this release's process would have died here; the text the client is answered with."""
        with self._lock:
            self.crashes.append({"rpc": rpc, "cause": cause, "behaviour": self.release.name, "time": time.time()})
        return f"{CRASH_TEXT} ({self.release.name}: {cause})"

    def as_dict(self) -> dict:
        with self._lock:
            return {"behaviour": self.release.name, "daemon_version": self.version,
                    "blockchain_network": self.network, "crashes": list(self.crashes)}
