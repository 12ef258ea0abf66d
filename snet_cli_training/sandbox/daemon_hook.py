"""How a daemon plugs into the network: the DaemonConfig it is given and the hook that starts it."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from snet_cli_training.sandbox.processes import wait_for_port

DAEMON_CONFIG_ENV = "SNET_TEST_DAEMON_CONFIG"
NO_DAEMON_ENV = "SNET_TEST_NO_DAEMON"


@dataclass(frozen=True)
class DaemonConfig:
    """Everything a daemon double needs to serve the published service."""

    rpc: str
    port: int
    endpoint: str
    mpe_address: str
    registry_address: str
    token_address: str
    org_id: str
    service_id: str
    group_name: str
    group_id_base64: str
    payment_address: str
    payment_expiration_threshold: int
    price_in_cogs: int
    free_calls: int
    proto_path: str
    provider_private_key: str
    daemon_behaviour: str = "intended"  # the snet-daemon release the double behaves like (daemon/releases.py)
    # Every .proto file of the service (proto_path is the first), and who answers behind the daemon
    # ("echo", "classifier" or a provider's HOST:PORT, see catalog.py).
    proto_files: tuple[str, ...] = ()
    provider: str = "echo"

    @property
    def group_id(self) -> bytes:
        return base64.b64decode(self.group_id_base64)


# A daemon hook is either a callable that starts the daemon and returns an
# object with terminate() or stop(), or a command line whose items may hold
# {field} placeholders of DaemonConfig and {config_file}; the command also finds
# the whole config as JSON in the file named by $SNET_TEST_DAEMON_CONFIG.
DaemonHook = Callable[[DaemonConfig], Any] | Sequence[str]


def default_daemon_hook() -> DaemonHook | None:
    """The daemon double's `launch`, unless $SNET_TEST_NO_DAEMON is set."""
    if os.environ.get(NO_DAEMON_ENV):
        return None
    from snet_cli_training.sandbox.daemon.process import launch

    return launch


def start_daemon(hook: DaemonHook, config: DaemonConfig, workdir: Path) -> Any:
    """Start a daemon through `hook`; return its handle once its port accepts connections."""
    config_file = workdir / "daemon_config.json"
    config_file.write_text(json.dumps(asdict(config), indent=2))
    if callable(hook):
        handle = hook(config)
    else:
        fields = dict(asdict(config), config_file=str(config_file))
        argv = [item.format(**fields) for item in hook]
        handle = subprocess.Popen(argv, env=dict(os.environ, **{DAEMON_CONFIG_ENV: str(config_file)}),
                                  stdout=open(workdir / "daemon.log", "wb"), stderr=subprocess.STDOUT)
    wait_for_port(config.port, 15)
    return handle
