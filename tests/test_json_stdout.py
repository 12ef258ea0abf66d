"""`--json`: stdout is exactly one JSON document (or nothing, on exits 1 and 2) in every run, a HOME's first run included.

snet-cli prints its first-run notice on stdout from `Config()` in `main()`, before any plugin code runs;
the start-up hook is what keeps it off stdout. Every subcommand is run through snet-cli's own `main()`
in-process, in a fresh HOME, with the hook doing what it does at start-up; the real `snet` shows it
in a process too.
"""

from __future__ import annotations

import functools
import io
import json
import os
import subprocess
from pathlib import Path

import pytest

import snet_cli_training_hook as hook
from snet_cli_training.cli.arguments import standalone_parser
from snet_cli_training.errors import ExitStatus
from tests.support.cli import snet_executable

ROOT = Path(__file__).resolve().parent.parent
DATASET, LIMITS = str(ROOT / "examples" / "dataset"), str(ROOT / "examples" / "limits.json")
NOTICE = "We've created configuration file with default values in: "
# Arguments that get each subcommand past argparse (a fresh HOME has no identity: most then stop with exit 1).
ARGS = {
    "metadata": ["org", "svc"], "methods": ["org", "svc"], "method-metadata": ["org", "svc", "train"],
    "create-model": ["org", "svc", "--name", "n"], "list-models": ["org", "svc", "--all"], "get-model": ["m"],
    "update-model": ["m", "--name", "n"], "delete-model": ["m", "-y"], "check-dataset": [DATASET, "--metadata", LIMITS],
    "validate-price": ["m"], "train-price": ["m"], "upload": ["m", DATASET, "-y"], "upload-and-validate": ["m", DATASET],
    "validate": ["m", "--link", "https://example.com/d.zip"], "train": ["m", "--dry-run"], "wait": ["m"],
    "call": ["m", "answer", "{}"], "models": [],
}


def subcommands() -> list[str]:
    return sorted(standalone_parser()._subparsers._group_actions[0].choices)  # noqa: SLF001 -- argparse keeps them here


@pytest.mark.parametrize(("argv", "held"), [
    (["/usr/bin/snet", "training", "models", "--json"], True),
    (["snet", "--print-traceback", "training", "check-dataset", "d", "--metadata", "f", "--json"], True),
    (["snet", "training", "models", "--jso"], True),
    (["/venv/lib/python3.11/site-packages/snet_cli_training/__main__.py", "training", "models", "--json"], True),
    (["snet", "training", "models"], False),
    (["snet", "training", "models", "--json", "--help"], False),
    (["snet", "training", "sandbox", "run", "--", "tool", "--json"], False),
    (["snet", "client", "call", "--json"], False),
    (["snet", "--json"], False),
    (["snet"], False),
    (["/usr/bin/python3", "training", "--json"], False),
    ([], False),
])
def test_which_runs_hold_stdout(argv, held):
    assert hook.is_json_run(argv) is held


def run_snet_main(home: Path, argv: list[str], monkeypatch) -> tuple[int, str, str]:
    """snet-cli's own `main()` for `snet ARGV`, as the `snet` script runs it after the start-up hook, in a fresh HOME."""
    import snet.cli
    from snet.cli.config import Config

    stdout, stderr = io.StringIO(), io.StringIO()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr(snet.cli, "Config", functools.partial(Config, _snet_folder=home / ".snet"))
    monkeypatch.setattr("sys.argv", ["snet", *argv])
    monkeypatch.setattr("sys.stdout", stdout)
    monkeypatch.setattr("sys.stderr", stderr)
    monkeypatch.setattr(hook, "_held_stdout", None)
    hook.hold_stdout(["snet", *argv])  # what the hook does when snet-cli's argument module loads
    try:
        snet.cli.main()
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return code, stdout.getvalue(), stderr.getvalue()


def test_every_subcommand_in_a_fresh_home_prints_one_document_or_nothing(tmp_path, monkeypatch):
    commands = subcommands()
    assert set(ARGS) <= set(commands)
    for command in commands:
        home = tmp_path / command
        home.mkdir()
        code, stdout, stderr = run_snet_main(home, ["training", command, *ARGS.get(command, []), "--json"], monkeypatch)
        assert stderr.startswith(NOTICE), (command, stderr)
        assert "Traceback" not in stderr, (command, stderr)
        if code in (ExitStatus.ERROR, ExitStatus.USAGE):
            assert stdout == "", (command, stdout)
        else:
            json.loads(stdout)  # exactly one document: json.loads refuses anything after it
        if command in ("models", "check-dataset"):
            assert code == 0, (command, stderr)
        elif command in ARGS:
            # nothing to work on in a fresh HOME: no identity, no stored model, or no node that answers
            assert code == ExitStatus.ERROR and stderr.strip().splitlines()[-1].startswith("ERROR: "), (command, stderr)


def test_a_failing_report_and_text_runs_in_a_fresh_home(tmp_path, monkeypatch):
    limits = tmp_path / "limits.json"
    limits.write_text(json.dumps({"dataset_max_count_files": 1}))
    (tmp_path / "a").mkdir()
    code, stdout, stderr = run_snet_main(tmp_path / "a", ["training", "check-dataset", DATASET, "--metadata", str(limits),
                                                          "--json"], monkeypatch)
    assert code == ExitStatus.DATASET_REJECTED and stderr.startswith(NOTICE)
    assert json.loads(stdout)["violations"][0]["code"] == "too_many_files"
    (tmp_path / "b").mkdir()
    code, stdout, stderr = run_snet_main(tmp_path / "b", ["training", "models"], monkeypatch)
    assert code == 0 and stdout.startswith(NOTICE) and stdout.endswith("    []\n")  # text runs keep snet-cli's stdout as it is


def test_the_real_snet_in_fresh_homes(tmp_path):
    runs = {"models": (["models", "--json"], 0), "check": (["check-dataset", DATASET, "--metadata", LIMITS, "--json"], 0)}
    processes = {}
    for name, (args, _) in runs.items():
        home = tmp_path / name
        home.mkdir()
        processes[name] = subprocess.Popen([snet_executable(), "training", *args], env=dict(os.environ, HOME=str(home)),
                                           cwd=str(home), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                           stderr=subprocess.PIPE, text=True)
    results = {name: (process.communicate(timeout=60), process.returncode) for name, process in processes.items()}
    for name, ((_, stderr), code) in results.items():
        assert code == runs[name][1], (name, stderr)
        assert "Traceback" not in stderr
    assert json.loads(results["models"][0][0]) == []
    assert json.loads(results["check"][0][0])["ok"] is True
    for name in ("models", "check"):
        assert results[name][0][1].startswith(NOTICE)
