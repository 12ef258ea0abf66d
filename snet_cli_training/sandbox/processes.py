"""Starting the sandbox's child processes so they run this copy of the package, from any directory."""

from __future__ import annotations

import json
import os
import select
import site
import socket
import subprocess
import sys
import time
from pathlib import Path

# The folder holding snet_cli_training/: a checkout, or site-packages when installed.
PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def python_module(module: str, *args: str) -> list[str]:
    """The command line that runs `module` with this interpreter."""
    return [sys.executable, "-m", module, *args]


def child_env(**extra: str) -> dict[str, str]:
    """os.environ for a child, warnings off; a checkout that is not installed goes first on its path."""
    env = dict(os.environ, PYTHONWARNINGS="ignore", **extra)
    installed = {str(Path(p).resolve()) for p in [*site.getsitepackages(), site.getusersitepackages()]}
    if str(PACKAGE_ROOT) not in installed:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_ROOT), env.get("PYTHONPATH")]))
    return env


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float) -> None:
    """Return once something accepts connections on 127.0.0.1:`port`; TimeoutError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError as exc:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on port {port} after {timeout} s") from exc
            time.sleep(0.05)


def start_server(module: str, log: Path, *args: str) -> subprocess.Popen:
    """Run a stand-in server's module; its stdout (the ready line) is a pipe, its stderr goes to `log`."""
    with open(log, "wb") as stderr:
        return subprocess.Popen(python_module(module, *args), stdout=subprocess.PIPE, stderr=stderr, text=True,
                                env=child_env())


def stop_process(process: subprocess.Popen, grace: float = 5) -> None:
    """Terminate PROCESS (unless it has ended), kill it when it outlives `grace` s, reap it, close its stdout."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout:
        process.stdout.close()


def ready_line(process: subprocess.Popen, timeout: float) -> dict:
    """The JSON line a started server prints when it is ready; kills it if none comes within `timeout` s."""
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    line = process.stdout.readline() if ready else ""
    if not line:
        process.kill()
        raise RuntimeError(f"{process.args} did not report ready within {timeout} s")
    return json.loads(line)
