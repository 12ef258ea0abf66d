"""The daemon double as a child process: start it for a DaemonConfig and stop it."""

from __future__ import annotations

import json
import subprocess
import threading
from typing import Any

from snet_cli_training.sandbox.daemon.control_client import DaemonControl
from snet_cli_training.sandbox.processes import child_env, python_module, stop_process


class DaemonProcess:
    """A daemon double running as a child process (what `launch` returns)."""

    def __init__(self, process: subprocess.Popen, ready: dict) -> None:
        self.process = process
        self.grpc_url = ready["grpc"]
        self.control_url = ready["control"]
        self.control = DaemonControl(self.control_url)

    @property
    def target(self) -> str:
        """host:port for grpc.insecure_channel."""
        return self.grpc_url.split("://", 1)[1]

    def stop(self) -> None:
        stop_process(self.process)


def launch(config: Any, control_port: int = 0, timeout: float = 30) -> DaemonProcess:
    """Start the double for a daemon_hook.DaemonConfig; return once it is serving."""
    protos = config.proto_files or (config.proto_path,)
    argv = python_module(
        "snet_cli_training.sandbox.daemon.server", "--rpc", config.rpc, "--mpe", config.mpe_address,
        "--payment-address", config.payment_address, "--group-id", config.group_id_base64,
        *[arg for proto in protos for arg in ("--service-proto", str(proto))], "--port", str(config.port),
        "--control-port", str(control_port), "--price-cogs", str(config.price_in_cogs),
        "--expiration-threshold", str(config.payment_expiration_threshold),
        "--behaviour", config.daemon_behaviour, "--provider", config.provider,
        "--org-id", config.org_id, "--service-id", config.service_id)
    process = subprocess.Popen(argv, env=child_env(), stdout=subprocess.PIPE, text=True)
    ready: list[str] = []
    reader = threading.Thread(target=lambda: ready.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not ready or not ready[0].strip():
        process.kill()
        raise RuntimeError(f"daemon double did not start within {timeout} s (exit code {process.poll()})")
    return DaemonProcess(process, json.loads(ready[0]))
