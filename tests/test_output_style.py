"""One output style: snet-cli's YAML for every result and list (the text is the JSON document in YAML), the dataset
report alike whether it passes or fails, nothing wrapped, names escaped, short questions, any output encoding."""

from __future__ import annotations

import io
import json
import textwrap
from pathlib import Path

import yaml

from snet_cli_training.cli import dispatch
from snet_cli_training.cli.arguments import root_parser
from snet_cli_training.commands.invocation import Invocation
from snet_cli_training.console import render
from snet_cli_training.console.streams import Console
from snet_cli_training.dataset.check import DatasetReport
from snet_cli_training.dataset.violations import DatasetViolation
from snet_cli_training.errors import ExitStatus
from snet_cli_training.snetcli.tokens import cogs_to_token
from tests.support.harness import create_model, ok_json, run

ROOT = Path(__file__).resolve().parent.parent


def as_document(text: str):
    """The YAML text a command printed, read back."""
    return yaml.safe_load(textwrap.dedent(text))


def _report(*violations: DatasetViolation) -> DatasetReport:
    return DatasetReport(path="data.zip", format="zip", size_bytes=2048, files=2, total_uncompressed_bytes=4096,
                         violations=violations)


def test_the_dataset_report_is_yaml_facts_then_the_sdk_lines():
    facts = {"ok": True, "path": "data.zip", "format": "zip", "size_bytes": 2048, "files": 2, "total_uncompressed_bytes": 4096}
    assert as_document(_report().text()) == facts
    failing = _report(DatasetViolation("too_many_files", "Too many files: 2 > 1", limit=1, actual=2),
                      DatasetViolation("wrong_file_type", "Wrong file type: `exe` in file: `a\nToo big dataset size: 999.0 MB"
                                       " > 10 MB\t.exe`. Allowed file types: png", file="a\n.exe", limit=["png"], actual="exe"))
    facts_text, sdk_lines = failing.text().split("\nDataset check failed:\n")
    assert as_document(facts_text) == {**facts, "ok": False}
    assert sdk_lines.split("\n") == [
        "\tToo many files: 2 > 1",
        "\tWrong file type: `exe` in file: `a\\nToo big dataset size: 999.0 MB > 10 MB\\t.exe`. Allowed file types: png"]


def test_yaml_never_wraps_a_long_value():
    command = "snet channel extend-add-for-org snet-org default_group --channel-id 2 --amount 0.000001 --expiration +172800blocks"
    text = render.to_yaml({"channel_action": command, "names": ["x" * 300]})
    assert text.splitlines() == [f"    channel_action: {command}", "    names:", "    - " + "x" * 300]
    forged = render.to_yaml({"name": "\x1b[2Jclean\nstatus: READY_TO_USE"})
    assert "\x1b" not in forged and forged.count("\n") == 0 and as_document(forged) == {"name": "\x1b[2Jclean\nstatus: READY_TO_USE"}


def test_lists_and_results_are_the_json_document_in_yaml(stack, home, control):
    model = create_model(home, stack, "styled", "--description", "a " * 80)
    commands = [("methods", stack.org_id, stack.service_id), ("list-models", stack.org_id, stack.service_id),
                ("models",), ("get-model", model["model_id"]), ("metadata", stack.org_id, stack.service_id),
                ("method-metadata", stack.org_id, stack.service_id, "answer")]
    for argv in commands:
        document = ok_json(run(home, *argv))
        text = run(home, *argv, json_output=False)
        assert text.returncode == 0 and text.stdout.startswith("    "), argv
        assert as_document(text.stdout) == document, argv
    assert model["created_by_address"] == model["updated_by_address"] == stack.client.address.lower()
    assert model["address_list"] == [stack.client.address.lower()]


def test_the_delete_question_names_the_model(stack, home, control):
    model_id = create_model(home, stack, "keep me")["model_id"]
    refused = run(home, "delete-model", model_id, terminal=True, stdin="n\n")
    assert refused.returncode == ExitStatus.NOT_CONFIRMED
    assert refused.stderr.startswith(f'Delete model {model_id} ("keep me") of testorg/echo? [y/N] ')


def test_verbose_shows_what_would_be_signed(stack, home, control):
    model_id = create_model(home, stack, "verbose")["model_id"]
    result = run(home, "validate", model_id, "--link", "https://example.com/d.zip", "--dry-run", "-v")
    quote = ok_json(result)
    lines = result.stderr.splitlines()
    signed = quote["signed_amount_cogs"] + 200  # unpaid, the document says what stands signed now
    assert lines[0] == (f"payment channel {quote['channel_id']}: signs a cumulative {signed} cogs "
                        f"({cogs_to_token(signed)} FET) at nonce {quote['nonce']}; last signed "
                        f"{quote['signed_amount_cogs']} cogs; channel value 100000000000 cogs")
    assert lines[1] == ("dry run, nothing was signed or paid: the real command would pay 200 cogs (0.0000000000000002 FET) "
                        'to testorg/echo for validating the data at https://example.com/d.zip (model "verbose")')


def _ascii_run(tmp_path: Path, *argv: str) -> tuple[int, bytes, bytes]:
    """`snet training ARGV` in-process with stdout and stderr as PYTHONIOENCODING=ascii makes them."""
    out, err = io.BytesIO(), io.BytesIO()
    stdout = io.TextIOWrapper(out, encoding="ascii", errors="strict")
    stderr = io.TextIOWrapper(err, encoding="ascii", errors="backslashreplace")
    console = Console(stdin=io.StringIO(), stdout=stdout, stderr=stderr, snet_dir=tmp_path / ".snet")
    status = dispatch.execute(Invocation.from_argparse(root_parser().parse_args(["training", *argv]), None, console))
    stdout.flush()
    stderr.flush()
    return int(status), out.getvalue(), err.getvalue()


def test_an_ascii_stream_gets_escapes_not_a_crash(tmp_path):
    folder = tmp_path / "données"
    folder.mkdir()
    (folder / "café.exe").write_text("x")
    limits = tmp_path / "limits.json"
    limits.write_text(json.dumps({"dataset_files_type": "png"}))
    code, out, err = _ascii_run(tmp_path, "check-dataset", str(folder), "--metadata", str(limits))
    assert code == ExitStatus.DATASET_REJECTED, err
    assert "\tWrong file type: `exe` in file: `caf\\xe9.exe`. Allowed file types: png" in out.decode("ascii")
    code, out, err = _ascii_run(tmp_path, "check-dataset", str(folder), "--metadata", str(limits), "--json")
    assert code == ExitStatus.DATASET_REJECTED, err
    assert "\\u00e9" in out.decode("ascii")
    assert json.loads(out)["violations"][0]["file"] == "café.exe"
