"""Checks of a service's daemon, from facts gathered for free: connection and TLS, heartbeat, training, uploads, hazards."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from snet_cli_training.constants import LARGE_UPLOAD_BYTES
from snet_cli_training.daemon.behaviour import HeartbeatFacts, UploadBehaviour, Verdict
from snet_cli_training.daemon.endpoint import parse_endpoint
from snet_cli_training.diagnosis.report import Check, fail, ok, warn

# Chain ids of the network names daemons are configured with (`blockchain_network_selected`).
KNOWN_CHAIN_IDS = {"main": 1, "mainnet": 1, "sepolia": 11155111, "goerli": 5, "ropsten": 3, "rinkeby": 4, "kovan": 42}
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
UPLOAD_ALTERNATIVE = ("`snet training validate MODEL_ID --link URL` lets the service fetch the data itself; "
                      "or ask the provider for a daemon whose uploads work (v6.0.0 with dynamic pricing off)")


def connection_check(endpoint: str, connected: str, timeout: float) -> Check:
    """Whether the daemon's port connects ("ready", "failed" or "timeout"), and whether the traffic is encrypted."""
    target, secure = parse_endpoint(endpoint)
    if connected != "ready":
        tls = " or its TLS handshake failed" if secure else ""
        why = f"the connection was refused{tls}" if connected == "failed" else f"no connection within {timeout:g} s"
        return fail("daemon", f"cannot reach the daemon at {endpoint}: {why}",
                    "check the endpoint of the service metadata (or pass --endpoint URL) and ask the provider "
                    "whether the daemon runs")
    host = target.rsplit(":", 1)[0].strip("[]")
    if secure:
        return ok("daemon", f"{endpoint} connects over TLS")
    if host in LOCAL_HOSTS:
        return ok("daemon", f"{endpoint} connects (plain text, on this machine)")
    return warn("daemon", f"{endpoint} connects in plain text: signed requests and datasets cross the network unencrypted",
                "ask the provider for an https:// endpoint")


def heartbeat_check(facts: HeartbeatFacts | None, problem: str, session_network: str, chain_id: int | None) -> Check:
    """The heartbeat's status, version and blockchain network against the session's."""
    if facts is None:
        return warn("heartbeat", f"no heartbeat: {problem}",
                    "none needed for training: the free upload probe still tells how uploads behave")
    said = f"status {facts.status or 'unknown'}, {_version_text(facts)}, network {facts.network or 'not said'}"
    daemon_network = (facts.network or "").lower()
    expected = KNOWN_CHAIN_IDS.get(daemon_network)
    if expected is not None and chain_id is not None and expected != chain_id:
        return fail("heartbeat", f"{said}: the daemon pays on {facts.network} (chain {expected}), your session's network "
                    f"{session_network} is chain {chain_id}",
                    f"use a session on the daemon's network (`snet network {facts.network}`), or ask the provider why "
                    "the service metadata points at this daemon")
    if expected is None and daemon_network and daemon_network != session_network.lower():
        return warn("heartbeat", f"{said}: it may not be your session's network {session_network}",
                    "check that the service is published on the network of your session")
    if (facts.status or "").lower() != "online":
        return warn("heartbeat", said, "ask the provider: the daemon does not say it is online")
    return ok("heartbeat", said)


def _version_text(facts: HeartbeatFacts) -> str:
    if facts.claimed_version is None:
        return "no version"
    if facts.version is None:
        return f"version {facts.claimed_version!r} (not reliable: builds misreport it)"
    return f"version {facts.claimed_version}"


def training_check(methods: Mapping[str, Mapping], facts: HeartbeatFacts | None) -> Check:
    """Training switched on, and the trainable methods (`Service.method` → limits) with their dataset limits."""
    if facts is not None and facts.training_enabled is False:
        # v5.2 answers training calls even when switched off; they then reach a provider not ready for them.
        return fail("training", "the daemon's heartbeat says training is switched off",
                    "ask the provider to set model_training_enabled, or use another service")
    if not methods:
        return fail("training", "the daemon trains no method of the service", "use another service")
    described = "; ".join(f"{name} ({limits_text(limits)})" for name, limits in methods.items())
    return ok("training", f"trainable: {described}")


def limits_text(limits: Mapping) -> str:
    """A method's dataset limits in a few words."""
    parts = []
    if limits.get("dataset_max_size_mb"):
        parts.append(f"at most {limits['dataset_max_size_mb']} MB")
    if limits.get("dataset_max_count_files"):
        parts.append(f"{limits['dataset_max_count_files']} files")
    if limits.get("dataset_max_size_single_file_mb"):
        parts.append(f"{limits['dataset_max_size_single_file_mb']} MB a file")
    if limits.get("dataset_files_type"):
        parts.append(f"file types {limits['dataset_files_type']}")
    if limits.get("dataset_type"):
        parts.append(f"archives {limits['dataset_type']}")
    return ", ".join(parts) or "no dataset limits declared"


def upload_check(behaviour: UploadBehaviour) -> Check:
    """What an upload will do, from the free probe and the heartbeat."""
    said = behaviour.describe()
    if behaviour.verdict is Verdict.WORKS:
        return ok("upload", f"{said} (the free probe shows no pre-read)")
    if behaviour.verdict is Verdict.FAILS:
        return fail("upload", said, UPLOAD_ALTERNATIVE)
    return warn("upload", said, "none needed: `snet training upload` sends a fail-closed canary first, so the "
                "dataset arrives whole or nothing is charged")


def hazards_check(facts: HeartbeatFacts | None, behaviour: UploadBehaviour, methods: Mapping[str, Mapping]) -> Check:
    """The hazards of docs/daemon-releases.md#hazards that a user of this daemon has to mind."""
    version = facts.version if facts is not None else None
    mind: list[str] = []
    if version is not None and version[:2] == (5, 2):
        mind.append("a cancelled or broken upload leaves your channel locked until the provider clears it: "
                    "do not interrupt uploads")
    if behaviour.verdict is not Verdict.FAILS and (version is None or version < (6, 2, 0)):
        mind.append("VALIDATING after an upload is not a confirmation (a service error at its end is only logged): "
                    "wait for VALIDATED before paying for training")
    large = _large_methods(methods)
    if large:
        mind.append(f"the daemon holds a whole upload in memory and {', '.join(large)} accept(s) datasets over "
                    f"{LARGE_UPLOAD_BYTES // 2**20} MB: send large data with `validate --link URL`")
    handled = ("a model is confirmed on its daemon before paying, method limits are asked by name, "
               "upload messages always carry data")
    if not mind:
        return ok("hazards", f"none to mind; handled by snet training: {handled}")
    return warn("hazards", "; ".join(mind), "keep these in mind; snet training handles the rest "
                f"({handled})")


def _large_methods(methods: Mapping[str, Mapping]) -> Sequence[str]:
    return [name for name, limits in methods.items()
            if not limits.get("dataset_max_size_mb") or limits["dataset_max_size_mb"] * 2**20 > LARGE_UPLOAD_BYTES]
