"""Session fixtures: the local SingularityNET network and a runner for the real `snet`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# The suite starts a few hundred Python processes (snet, servers, helpers). Where PYTHONDONTWRITEBYTECODE
# is set, as on many CI machines, each of them would compile the package's sources again (about half a
# second of CPU for a `snet training` command); let the first one leave its bytecode for the rest.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

# tests/ is not a package: make `tests.support` importable however pytest is started.
_REPO_ROOT = str(Path(__file__).resolve().parents[1])
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from snet_cli_training.sandbox.daemon_hook import default_daemon_hook  # noqa: E402
from snet_cli_training.sandbox.network import LocalNetwork  # noqa: E402
from tests.support.cli import copy_home, use_home  # noqa: E402
from tests.support.harness import stock_snet  # noqa: E402


@pytest.fixture(scope="session")
def stack():
    """One LocalNetwork per session: chain, IPFS, contracts, testorg/echo, two clients' channels,
    and the daemon double (unless $SNET_TEST_NO_DAEMON is set)."""
    with LocalNetwork(daemon=default_daemon_hook()) as local_stack:
        yield local_stack


@pytest.fixture
def snet(stack):
    """Call `snet(*args, home=None)` to run a stock snet-cli command in-process as the client (or `home`)."""

    def run(*args: str, home: str | Path | None = None):
        return stock_snet(home or stack.client.home, *args)

    return run


@pytest.fixture
def control(stack):
    """The daemon double's control API, reset: no models, payments or faults from earlier tests."""
    assert stack.daemon_handle is not None and hasattr(stack.daemon_handle, "control"), \
        "the stack must run with the daemon double (unset SNET_TEST_NO_DAEMON)"
    control = stack.daemon_handle.control
    control.reset()
    return control


@pytest.fixture
def behave(control):
    """`behave("v6.1", daemon_version="6.1.0")`: the double behaves like that snet-daemon release for this test only."""
    yield lambda behaviour, **settings: control.behave(behaviour=behaviour, **settings)
    control.reset()


@pytest.fixture
def home(stack, tmp_path, control):
    """A private copy of the client's HOME: its model store, signature cache and journal start empty."""
    return copy_home(stack.client.home, tmp_path / "client")


@pytest.fixture
def home2(stack, tmp_path, control):
    """A private copy of the second client's HOME."""
    return copy_home(stack.client2.home, tmp_path / "client2")


@pytest.fixture
def process_home(stack, tmp_path, monkeypatch, control):
    """A private copy of the client's HOME made this process's HOME, for snet-cli's classes run in the test."""
    return use_home(copy_home(stack.client.home, tmp_path / "client"), monkeypatch)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow(seconds): a long test (about SECONDS on a busy two-core machine), "
                                       "scheduled first, longest first, so that the workers end together")


def _expected_seconds(item) -> float:
    mark = item.get_closest_marker("slow")
    return (mark.args[0] if mark.args else 5.0) if mark else 0.0


def pytest_collection_modifyitems(config, items):
    """Longest tests first: each worker takes the next one when it is free, and they finish at about the same time.

    Tests that share an expensive module fixture carry one `xdist_group`, so that one worker builds it.
    """
    items.sort(key=_expected_seconds, reverse=True)
