"""The plugin inside the real `snet` executable: cheap registration, completion, the command layer's contract."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from snet_cli_training.errors import ExitStatus
from tests.support.harness import run

pytestmark = pytest.mark.xdist_group("fresh_home")  # one fresh HOME, written by one `snet version`, on one worker


def snet(*args: str, home, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    env = dict(os.environ, HOME=str(home))
    return subprocess.run(["snet", *args], capture_output=True, text=True, env=env, timeout=timeout,
                          stdin=subprocess.DEVNULL, **kwargs)


@pytest.fixture(scope="module")
def fresh_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("fresh")
    snet("version", home=home)  # the first run writes ~/.snet/config and says so on stdout
    return home


def test_register_imports_nothing_heavy():
    code = """
import argparse, sys
from snet_cli_training.plugin import register
root = argparse.ArgumentParser(prog="snet")
register(root.add_subparsers(), None)
registration = {"snet_cli_training", "snet_cli_training_hook", "snet_cli_training.plugin", "snet_cli_training.errors",
                "snet_cli_training.constants", "snet_cli_training.cli", "snet_cli_training.cli.arguments",
                "snet_cli_training.cli.argtypes", "snet_cli_training.cli.combinations",
                "snet_cli_training.cli.examples", "snet_cli_training.cli.options", "snet_cli_training.cli.dispatch",
                "snet_cli_training.commands",
                "snet_cli_training.commands.invocation", "snet_cli_training.commands.outcome", "snet_cli_training.console",
                "snet_cli_training.console.render", "snet_cli_training.console.streams", "snet_cli_training.payment",
                "snet_cli_training.payment.options", "snet_cli_training.payment.progress",
                "snet_cli_training.cli.sandbox_arguments", "snet_cli_training.commands.sandbox_options"}
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"grpc", "web3", "google", "jsonschema", "eth_account", "yaml"}
               or (m.startswith("snet_cli_training") and m not in registration))
print(heavy)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


def _complete(line: str, home, tmp_path) -> list[str]:
    out = tmp_path / "completions"
    env = dict(os.environ, HOME=str(home), _ARGCOMPLETE="1", _ARGCOMPLETE_IFS="\n", COMP_LINE=line,
               COMP_POINT=str(len(line)), _ARGCOMPLETE_STDOUT_FILENAME=str(out))
    subprocess.run(["snet"], env=env, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    return out.read_text().split("\n")


_COMPLETE_LINES = """
import io, json, os, sys
import argcomplete
from snet_cli_training.cli.arguments import root_parser
answers = []
for line in json.loads(sys.argv[1]):
    os.environ.update(_ARGCOMPLETE="1", _ARGCOMPLETE_IFS="\\n", COMP_LINE=line, COMP_POINT=str(len(line)))
    out = io.StringIO()
    argcomplete.autocomplete(root_parser(), exit_method=lambda _code: None, output_stream=out)
    answers.append([word.strip() for word in out.getvalue().split("\\n")])
print(json.dumps(answers))
"""


def _complete_with_the_plugins_parser(*lines: str) -> list[list[str]]:
    """What argcomplete offers for each LINE from the plugin's parser, in one light process (argcomplete takes
    over file descriptors, so never in the test's own)."""
    done = subprocess.run([sys.executable, "-c", _COMPLETE_LINES, json.dumps(lines)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.slow(7)
def test_argcomplete_completes_training_subcommands_and_their_options(fresh_home, tmp_path):
    # Through the real executable: the start-up hook hands the plugin's parser to snet's completion.
    assert _complete("snet training check-dataset --met", fresh_home, tmp_path) == ["--metadata", "--method"]
    top, commands, modes = _complete_with_the_plugins_parser(
        "snet tr", "snet training ", "snet training upload m1 d.zip --upload-mode ")
    assert "training" in top
    assert {"check-dataset", "create-model", "upload", "train", "wait", "call", "models", "doctor"} <= set(commands)
    assert set(modes) == {"auto", "plain", "canary"}


def test_json_output_is_one_document_and_errors_leave_stdout_empty(fresh_home, tmp_path):
    listed = run(fresh_home, "models")
    assert listed.returncode == 0 and json.loads(listed.stdout) == []
    missing = run(fresh_home, "check-dataset", str(tmp_path / "nope.zip"), "--metadata", str(tmp_path / "m.json"))
    assert missing.returncode == ExitStatus.ERROR
    assert missing.stdout == ""
    assert missing.stderr.startswith("ERROR: ") and "Traceback" not in missing.stderr


def test_usage_errors_exit_2(fresh_home):
    result = run(fresh_home, "list-models", "org", "svc", "--page", "-1")
    assert result.returncode == ExitStatus.USAGE and "must not be negative" in result.stderr


def test_bad_metadata_file_is_a_clear_error(fresh_home, tmp_path):
    (tmp_path / "d.txt").write_text("x")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = run(fresh_home, "check-dataset", str(tmp_path / "d.txt"), "--metadata", str(bad), json_output=False)
    assert result.returncode == ExitStatus.ERROR
    assert result.stderr.startswith("ERROR: metadata file") and "not valid JSON" in result.stderr
