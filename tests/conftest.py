"""Session fixtures: the local SingularityNET network and a runner for the real `snet`."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# tests/ is not a package: make `tests.support` importable however pytest is started.
_REPO_ROOT = str(Path(__file__).resolve().parents[1])
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from tests.support.stack import LocalStack, default_daemon_hook, run_snet  # noqa: E402


@pytest.fixture(scope="session")
def stack():
    """One LocalStack per session: chain, IPFS, contracts, testorg/echo, two clients' channels,
    and the daemon double when tests/support/daemon.py provides `launch` (unless
    $SNET_TEST_NO_DAEMON is set)."""
    with LocalStack(daemon=default_daemon_hook()) as local_stack:
        yield local_stack


@pytest.fixture
def snet(stack):
    """Call `snet(*args, home=None)` to run the real `snet` as the client (or `home`)."""

    def run(*args: str, home: str | Path | None = None, **kwargs):
        return run_snet(home or stack.client.home, *args, **kwargs)

    return run
