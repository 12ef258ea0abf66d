"""Session fixtures: the local SingularityNET network and a runner for the real `snet`."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

# tests/ is not a package: make `tests.support` importable however pytest is started.
_REPO_ROOT = str(Path(__file__).resolve().parents[1])
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from tests.support.stack import LocalStack, run_snet  # noqa: E402

NO_DAEMON_ENV = "SNET_TEST_NO_DAEMON"


def _daemon_hook():
    """tests.support.daemon.launch(DaemonConfig) when the daemon double provides it."""
    if os.environ.get(NO_DAEMON_ENV) or importlib.util.find_spec("tests.support.daemon") is None:
        return None
    from tests.support import daemon

    return getattr(daemon, "launch", None)


@pytest.fixture(scope="session")
def stack():
    """One LocalStack for the whole session: chain, IPFS, contracts, testorg/echo, channels."""
    with LocalStack(daemon=_daemon_hook()) as local_stack:
        yield local_stack


@pytest.fixture
def snet(stack):
    """Call `snet(*args, home=None)` to run the real `snet` as the client (or `home`)."""

    def run(*args: str, home: str | Path | None = None, **kwargs):
        return run_snet(home or stack.client.home, *args, **kwargs)

    return run
