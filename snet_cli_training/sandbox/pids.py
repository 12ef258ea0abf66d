"""Finding and stopping the sandbox's own processes by PID, and never anybody else's.

The supervisor leads a process group of its own (its PID is the group's id), and every server it
starts stays in it. `group_members` lists the living processes of a group that run a module of
this package; lifecycle.py adds that the group's leader must be the sandbox's supervisor or gone,
so a stale PID file, or a PID the system has since given to another program, never gets a signal.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

MARKER = "snet_cli_training.sandbox."


def group_members(pgid: int) -> dict[int, str]:
    """Living processes (no zombies) of process group `pgid` that run one of the sandbox's modules: PID -> command line."""
    try:
        # -ww: never cut the command line to the terminal's (or $COLUMNS') width.
        listing = subprocess.run(["ps", "-ww", "-eo", "pid=,pgid=,stat=,args="], capture_output=True, text=True,
                                 timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    found = {}
    for line in listing.splitlines():
        fields = line.split(None, 3)
        if len(fields) == 4 and fields[1] == str(pgid) and not fields[2].startswith("Z") and MARKER in fields[3]:
            found[int(fields[0])] = fields[3]
    return found


def is_alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, dead but not yet collected by its parent, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _zombie(pid)


def stop(pids: list[int], grace: float = 5.0) -> list[int]:
    """SIGTERM each of `pids`, then SIGKILL what is left after `grace` seconds; the PIDs that were signalled."""
    signalled = []
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
            signalled.append(pid)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    remaining = set(signalled)
    while remaining and time.monotonic() < deadline:
        _reap(remaining)
        remaining = {pid for pid in remaining if is_alive(pid)}
        if remaining:
            time.sleep(0.05)
    for pid in remaining:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _reap(remaining)
    return signalled


def _reap(pids: set[int]) -> None:
    """Collect the exit status of those of `pids` that are this process's children."""
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False
