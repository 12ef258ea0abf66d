"""`snet training sandbox` through the real `snet`, each test with a HOME of its own standing for the user's.

The user's ~/.snet must come out byte for byte as it went in (only the sandbox's own folder,
~/.snet/training/sandbox/, changes), and `down`, Ctrl-C, a killed supervisor or a crashed server
must leave no process behind that a fresh `up` cannot deal with.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from snet_cli_training.sandbox import pids
from snet_cli_training.sandbox.lifecycle import Sandbox
from tests.support.cli import run_snet, snet_env, snet_executable
from tests.support.harness import ok_json, run
from tests.support.user_home import dot_snet_digest, make_user_home, sandbox_folder

@pytest.fixture
def user_home(tmp_path) -> Iterator[Path]:
    home = make_user_home(tmp_path / "user")
    yield home
    Sandbox(sandbox_folder(home)).down()  # whatever a failed test left running


def sandbox(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return run_snet(home, "training", "sandbox", *args, timeout=timeout)


def dead(pid_numbers) -> bool:
    return not any(pids.is_alive(pid) for pid in pid_numbers)


def wait_until(predicate, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while not (found := predicate()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
    return found


@pytest.mark.slow(33)
def test_demo_then_status_run_shell_and_down_leave_no_process_and_the_users_snet_untouched(user_home, tmp_path,
                                                                                           monkeypatch):
    before = dot_snet_digest(user_home)
    folder = sandbox_folder(user_home)

    # Ctrl-C while it starts: exit 130 and nothing left running.
    starting = subprocess.Popen([snet_executable(), "training", "sandbox", "up"], env=snet_env(user_home),
                                cwd=user_home, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    supervisor = wait_until(lambda: (json.loads((folder / "state.json").read_text()).get("supervisor")
                                     if (folder / "state.json").exists() else None))
    starting.send_signal(signal.SIGINT)
    _out, err = starting.communicate(timeout=60)
    assert starting.returncode == 130 and "ERROR: interrupted" in err, err
    assert pids.group_members(supervisor) == {} and not (folder / "state.json").exists()

    # The demo on a fresh sandbox, as the README's quick start runs it (text), kept up afterwards for the rest.
    done = sandbox(user_home, "demo", "--keep")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.findall(r"^-> ok \(exit code (\d+)\)$", done.stdout, re.M) == ["0", "0", "3"] + ["0"] * 9
    assert "$ snet training upload " in done.stdout and 'label: "weather"' in done.stdout
    assert "All 12 steps did what they should" in done.stdout and "still up (--keep)" in done.stdout
    ending = yaml.safe_load(done.stdout.split("Payments the daemon accepted:\n", 1)[1])
    paid = [(p["rpc"], p["price_cogs"]) for p in ending]
    assert paid == [("training.Daemon/upload_and_validate", 200), ("training.Daemon/train_model", 300),
                    ("sandbox.Classifier/classify", 10), ("sandbox.Classifier/classify", 10)]

    status = ok_json(run(user_home, "sandbox", "status"))
    first = status["processes"]
    assert (status["status"], sorted(first)) == ("up", ["chain", "daemon", "ipfs", "supervisor"])
    assert status["block_number"] > 0 and [(p["rpc"], p["price_cogs"]) for p in status["payments"]] == paid
    assert [(m["name"], m["status"], m["method"]) for m in status["models"]] == [
        ("topics", "READY_TO_USE", "Classifier.classify")]
    assert (status["service"]["org_id"], status["service"]["service_id"]) == ("sandbox", "classifier")
    assert ok_json(run(user_home, "sandbox", "up"))["already_up"] is True
    client = status["identities"]["client"]

    script = tmp_path / "script.sh"
    script.write_text('#!/bin/sh\nsnet account balance\necho "HOME=$HOME"\nexit 3\n')
    script.chmod(0o755)
    done = sandbox(user_home, "run", "--", str(script))
    assert done.returncode == 3, done.stdout + done.stderr
    assert client["address"] in done.stdout and f"HOME={client['home']}" in done.stdout
    monkeypatch.setenv("SHELL", "/bin/sh")
    done = run_snet(user_home, "training", "sandbox", "shell", input='echo "HOME=$HOME PS1=$PS1"; exit 5\n')
    assert done.returncode == 5 and "You are in the snet training sandbox" in done.stderr, done.stderr
    assert f"HOME={client['home']} PS1=(snet-sandbox) " in done.stdout

    down = sandbox(user_home, "down", "--json")
    assert json.loads(down.stdout)["stopped_pids"] == sorted(first.values())
    assert dead(first.values()) and pids.group_members(first["supervisor"]) == {}
    assert dot_snet_digest(user_home) == before


@pytest.mark.slow(25)
def test_a_killed_supervisor_or_a_crashed_server_is_recovered_and_down_leaves_nothing(user_home):
    before = dot_snet_digest(user_home)
    first = ok_json(run(user_home, "sandbox", "up"))["processes"]

    # A killed supervisor: status says so, and `up` stops what it left and starts afresh.
    os.kill(first["supervisor"], signal.SIGKILL)
    stale = ok_json(run(user_home, "sandbox", "status"))
    assert stale["status"] == "stale" and stale["left_running"] == sorted(p for n, p in first.items() if n != "supervisor")
    second = ok_json(run(user_home, "sandbox", "up"))["processes"]
    assert dead(first.values()) and not set(second.values()) & set(first.values())

    # A server that dies: the supervisor stops the rest and says why; `reset` starts afresh.
    os.kill(second["daemon"], signal.SIGKILL)
    failed = wait_until(lambda: (s := ok_json(run(user_home, "sandbox", "status")))["status"] == "failed" and s)
    assert "the daemon process" in failed["reason"]
    wait_until(lambda: dead(second.values()))
    third = ok_json(run(user_home, "sandbox", "reset"))["processes"]

    down = sandbox(user_home, "down", "--json")
    assert json.loads(down.stdout)["stopped_pids"] == sorted(third.values())
    assert dead(third.values()) and pids.group_members(third["supervisor"]) == {}
    assert dot_snet_digest(user_home) == before
