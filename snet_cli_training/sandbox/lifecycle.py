"""`Sandbox`: up, down, status and the environment of the sandbox whose private folder is given.

The public entry point of the sandbox for `snet training sandbox`. `up` starts the supervisor
(supervisor.py) in a session of its own and returns once the network is up; whatever stops it
half way (Ctrl-C, a server that fails, a timeout) stops what was started. A state left by a
supervisor that died (killed, machine crash) is found by its PIDs and cleaned up by the next
`up` or `down`: only processes of the supervisor's group that run this package's modules get
a signal (pids.py).
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from snet_cli_training.sandbox import catalog, pids
from snet_cli_training.sandbox.daemon.releases import BEHAVIOURS
from snet_cli_training.sandbox.daemon.control_client import DaemonControl
from snet_cli_training.sandbox.errors import SandboxError
from snet_cli_training.sandbox.folder import SandboxFolder
from snet_cli_training.sandbox.http_base import rpc_call
from snet_cli_training.sandbox.processes import child_env, python_module
from snet_cli_training.sandbox.protocol import STATUS_NAMES

SUPERVISOR = "snet_cli_training.sandbox.supervisor"
START_SECONDS = 90
STOP_SECONDS = 10
ENV_FOLDER = "SNET_TRAINING_SANDBOX"  # set in `shell` and `run`, so that `sandbox` commands inside find this one


def request_for(provider: str | None = None, proto_dir: str | None = None, daemon_behaviour: str = "intended") -> dict:
    """The options of `up`, checked: what the supervisor is asked to start."""
    request = {"provider": provider, "proto_dir": str(Path(proto_dir).resolve()) if proto_dir else None,
               "daemon_behaviour": daemon_behaviour}
    catalog.service_for(request)
    if daemon_behaviour not in BEHAVIOURS:
        raise SandboxError(f"the sandbox's daemon simulator has no behaviour {daemon_behaviour}: "
                           f"it offers {', '.join(BEHAVIOURS)}")
    return request


@dataclass
class Started:
    state: dict
    already: bool  # it was up before this `up`
    seconds: float


class Sandbox:
    """The sandbox whose private folder is `path`."""

    def __init__(self, path: Path) -> None:
        self.folder = SandboxFolder(path)

    @property
    def path(self) -> Path:
        return self.folder.path

    def condition(self) -> tuple[str, dict | None]:
        """("down" | "starting" | "up" | "failed" | "stale", the recorded state)."""
        state = self.folder.state()
        if state is None:
            return "down", None
        if state.get("status") == "failed":
            return "failed", state
        if state.get("supervisor") in self._members(state):
            return str(state.get("status")), state
        return "stale", state

    def _members(self, state: dict) -> dict[int, str]:
        """The living processes of the sandbox's group; none when the group's number now belongs to someone else."""
        group = int(state.get("pgid") or -1)
        members = pids.group_members(group)
        leader = members.get(group)
        if leader is None and pids.is_alive(group):
            return {}  # the leader's PID now runs another program: its group is not ours
        if leader is not None and not (SUPERVISOR in leader and str(self.path) in leader):
            return {}
        return members

    def running(self) -> dict:
        """The state of the sandbox that is up; SandboxError otherwise."""
        condition, state = self.condition()
        if condition != "up":
            raise SandboxError("the sandbox is not up" + (f" ({condition})" if condition != "down" else "")
                               + ": start it with `snet training sandbox up`")
        return state

    def up(self, request: dict, timeout: float = START_SECONDS) -> Started:
        """Start the network (or find it up with the same options); return its state."""
        started = time.monotonic()
        with self.folder.locked():
            condition, state = self.condition()
            if condition == "up":
                if state.get("request") != request:
                    raise SandboxError(f"the sandbox is already up with other options ({_options(state['request'])}): "
                                       "stop it first with `snet training sandbox down`")
                return Started(state, True, 0.0)
            if state is not None:
                self._stop_group(state)
            self.folder.clear()
            self.folder.write(self.folder.request_file, request)
            with open(self.folder.logs / "supervisor.log", "wb") as log:
                process = subprocess.Popen(python_module(SUPERVISOR, str(self.path)), env=child_env(),
                                           stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                           start_new_session=True)
            try:
                state = self._wait_until_up(process, timeout)
            except BaseException:
                self._stop_group({"supervisor": process.pid, "pgid": process.pid})
                process.wait()
                self.folder.clear()
                raise
        return Started(state, False, time.monotonic() - started)

    def _wait_until_up(self, process: subprocess.Popen, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            state = self.folder.state() or {}
            if state.get("status") == "up":
                return state
            if state.get("status") == "failed":
                raise SandboxError(f"the sandbox did not start: {state.get('reason')}{self._log_hint()}")
            if process.poll() is not None:
                raise SandboxError(f"the sandbox's supervisor exited with code {process.returncode}{self._log_hint()}")
            if time.monotonic() > deadline:
                raise SandboxError(f"the sandbox did not start within {timeout:g} s{self._log_hint()}")
            time.sleep(0.05)

    def _log_hint(self) -> str:
        return f" (logs: {self.folder.logs / 'supervisor.log'} and {self.folder.network})"

    def down(self) -> list[int]:
        """Stop every process of the sandbox and forget its network; the PIDs that were stopped."""
        with self.folder.locked():
            _condition, state = self.condition()
            stopped = self._stop_group(state) if state else []
            self.folder.clear()
        return stopped

    def _stop_group(self, state: dict) -> list[int]:
        """The supervisor first (it stops its servers), then whatever of its group is left."""
        members = self._members(state)
        supervisor = state.get("supervisor")
        if supervisor in members:
            pids.stop([supervisor], grace=STOP_SECONDS)
        left = self._members(state)
        pids.stop(list(left))
        return sorted(set(members) | set(left))

    def status(self) -> dict:
        """What `status` shows: the condition, and for a sandbox that is up its endpoints, block, daemon behaviour,
        identities, models and payments."""
        condition, state = self.condition()
        document: dict = {"status": condition, "folder": str(self.path)}
        if state is None:
            return document
        document["options"] = _options(state.get("request") or {})
        if condition == "failed":
            document["reason"] = state.get("reason")
        if condition == "stale":
            document["reason"] = (f"its supervisor (pid {state.get('supervisor')}) is gone; `snet training sandbox up` "
                                  "stops what is left of it and starts a fresh one")
            document["left_running"] = sorted(self._members(state))
        if condition != "up":
            return document
        network = state["network"]
        document.update({
            "since": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(state["started_at"])),
            "startup_seconds": network["startup_seconds"],
            "endpoints": {"chain": network["rpc"], "ipfs": network["ipfs"], "daemon": network["daemon_endpoint"],
                          "daemon_control": network["daemon_control"]},
            "block_number": None,
            "service": {"org_id": network["org_id"], "service_id": network["service_id"],
                        "group_name": network["group_name"], "provider": network["provider"],
                        "call_price_cogs": network["service_price_cogs"]},
            "contracts": {"token": network["token"], "registry": network["registry"], "mpe": network["mpe"]},
            "identities": network["identities"],
            "daemon": {},
            "models": [],
            "payments": [],
            "processes": state["pids"],
        })
        # A server that just died is the supervisor's to report; until it does, say what did not answer.
        try:
            document["block_number"] = int(rpc_call(network["rpc"], "eth_blockNumber", []), 16)
        except OSError as exc:
            document["problem"] = f"the chain does not answer: {exc}"
        try:
            control = DaemonControl(network["daemon_control"])
            behaviour = control.behaviour()
            document["daemon"] = {"behaviour": behaviour["behaviour"], "heartbeat_version": behaviour["daemon_version"],
                                  "crashes": behaviour["crashes"]}
            document["models"] = [_model(record) for record in control.models()]
            document["payments"] = [_payment(entry) for entry in control.journal()]
        except OSError as exc:
            document["problem"] = f"the daemon does not answer: {exc}"
        return document

    def env(self, base: dict[str, str], client: dict | None = None) -> dict[str, str]:
        """`base` with the HOME of the sandbox's client (`client`, when the caller has read it already), so every
        `snet` command acts in the sandbox."""
        client = client or self.client()
        return dict(base, HOME=client["home"], **{ENV_FOLDER: str(self.path)})

    def client(self) -> dict:
        """The client identity: address, home, private key."""
        return self.running()["network"]["identities"]["client"]


def _options(request: dict) -> str:
    parts = [f"--daemon-behaviour {request.get('daemon_behaviour', 'intended')}"]
    if request.get("provider"):
        parts[:0] = [f"--provider {request['provider']}", f"--proto-dir {request['proto_dir']}"]
    return " ".join(parts)


def _model(record: dict) -> dict:
    status = record["status"]
    return {"model_id": record["model_id"], "name": record["name"],
            "method": f"{record['grpc_service_name']}.{record['grpc_method_name']}",
            "status": STATUS_NAMES[status] if 0 <= status < len(STATUS_NAMES) else str(status),
            "created_by": record["created_by"]}


def _payment(entry: dict) -> dict:
    return {"rpc": entry["rpc"], "model_id": entry["model_id"], "price_cogs": entry["increment"],
            "signed_amount_cogs": entry["amount"], "channel_id": entry["channel_id"], "nonce": entry["nonce"]}


def current(default: Path) -> Sandbox:
    """The sandbox of $SNET_TRAINING_SANDBOX (inside `shell` and `run`), else the one in `default`."""
    return Sandbox(Path(os.environ.get(ENV_FOLDER) or default))
