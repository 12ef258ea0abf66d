"""The sandbox's one background process: it starts the local network, records it, watches it, stops it.

Run as ``python -m snet_cli_training.sandbox.supervisor FOLDER`` (`snet training sandbox up` starts it
in a session of its own, so a Ctrl-C in the user's terminal does not reach it). It reads the options
from FOLDER/request.json, writes FOLDER/state.json (see folder.py): `starting` at once, `up` with the
network's description and every PID once all is running, `failed` with the reason when the start
fails or one of the servers dies afterwards (then it stops the others). SIGTERM stops everything.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from snet_cli_training.sandbox import catalog
from snet_cli_training.sandbox.daemon.process import launch
from snet_cli_training.sandbox.folder import SandboxFolder
from snet_cli_training.sandbox.network import LocalNetwork

WATCH_SECONDS = 0.2


class Stopped(BaseException):
    """SIGTERM or SIGINT arrived: stop the network and leave."""


def _stop(_signal: int, _frame: Any) -> None:
    raise Stopped


def _watch(network: LocalNetwork) -> str:
    """Wait until one of the network's servers exits; say which."""
    children = network.children()
    while True:
        for name, process in children.items():
            code = process.poll()
            if code is not None:
                return f"the {name} process (pid {process.pid}) exited with code {code}"
        time.sleep(WATCH_SECONDS)


def supervise(folder: SandboxFolder) -> int:
    request = folder.read(folder.request_file) or {}
    record = {"status": "starting", "supervisor": os.getpid(), "pgid": os.getpgrp(), "request": request,
              "started_at": time.time()}
    folder.write(folder.state_file, record)
    network = None
    try:
        network = LocalNetwork(daemon=launch, workdir=folder.network, service=catalog.service_for(request),
                               client_names=("client",), daemon_behaviour=request.get("daemon_behaviour", "intended"))
        network.start()
        pids = {"supervisor": os.getpid(), **{name: p.pid for name, p in network.children().items()}}
        folder.write(folder.state_file, dict(record, status="up", network=network.describe(), pids=pids))
        reason = _watch(network)
    except Stopped:
        reason = None
    except Exception as exc:  # noqa: BLE001 - whatever failed, the state must say so and the rest must stop
        reason = f"{type(exc).__name__}: {exc}"
    finally:
        # A second SIGTERM must not cut the cleanup short.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if network is not None:
            network.stop()
    if reason is None:
        return 0
    folder.write(folder.state_file, dict(record, status="failed", reason=reason, failed_at=time.time()))
    print(f"sandbox failed: {reason}", file=sys.stderr, flush=True)
    return 1


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    return supervise(SandboxFolder(Path(args[0])))


if __name__ == "__main__":
    sys.exit(main())
