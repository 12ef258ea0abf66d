"""The argument layer: every value and combination a command could only reject later is a usage error (exit 2).

In-process through the plugin's own parser (argparse's `prog: error: ...`), and once through the parser
snet-cli builds with the plugin in it (its `error: ...` and the help), which the real `snet` uses.
"""

from __future__ import annotations

import contextlib
import io
import shlex

import pytest

from snet_cli_training.cli import argtypes
from snet_cli_training.cli.arguments import root_parser, standalone_parser
from snet_cli_training.cli.examples import EXAMPLES
from snet_cli_training.errors import ExitStatus

CHECKSUMMED = "0x8ba1f109551bD432803012645Ac136ddd64DBA72"


def parse(*argv: str) -> tuple[int, str, object]:
    """(exit code, last stderr line, namespace) of `snet training ARGV` parsed in-process."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            return 0, "", root_parser().parse_args(["training", *argv])
        except SystemExit as exit_:
            return int(exit_.code or 0), err.getvalue().strip().splitlines()[-1], None


@pytest.mark.parametrize(("argv", "line"), [
    (("create-model", "o", "s", "--name", ""), "create-model: error: argument --name: must not be empty"),
    (("create-model", "o", "s", "--name", "  "), "create-model: error: argument --name: must not be empty"),
    (("get-model", ""), "get-model: error: argument MODEL_ID: must not be empty"),
    (("metadata", "", "s"), "metadata: error: argument ORG: must not be empty"),
    (("call", "m", ""), "call: error: argument METHOD: must not be empty"),
    (("validate", "m", "--link", ""),
     "validate: error: argument --link: not a URL with a scheme and a host (such as https://host/data.zip): ''"),
    (("validate", "m", "--link", "not a url at all"),
     "validate: error: argument --link: not a URL with a scheme and a host (such as https://host/data.zip): 'not a url at all'"),
    (("validate", "m", "--link", "file:///data.zip"),
     "validate: error: argument --link: not a URL with a scheme and a host (such as https://host/data.zip): 'file:///data.zip'"),
    (("update-model", "m", "--add-address", "0x12"),
     "update-model: error: argument --add-address: not an Ethereum address (0x and 40 hex digits): 0x12"),
    (("update-model", "m", "--remove-address", CHECKSUMMED[:-1] + "a"),
     f"update-model: error: argument --remove-address: the address's mixed case is not its checksum (a typo?): "
     f"{CHECKSUMMED[:-1]}a"),
    (("create-model", "o", "s", "--name", "n", "--address", "me"),
     "create-model: error: argument --address: not an Ethereum address (0x and 40 hex digits): me"),
    (("upload", "m", "p", "--chunk-size", "4000001"), "upload: error: argument --chunk-size: must be at most 4,000,000: 4000001"),
    (("upload", "m", "p", "--chunk-size", "0"), "upload: error: argument --chunk-size: must be at least 1: 0"),
    (("upload", "m", "p", "--max-price", "-1"), "upload: error: argument --max-price: must not be negative: -1"),
    (("upload", "m", "p", "--max-price", "lots"), "upload: error: argument --max-price: not a whole number: lots"),
    (("list-models", "o", "s", "--page", str(10**30), "--page-size", "1"),
     f"list-models: error: argument --page: must be at most 18,446,744,073,709,551,615: {10**30}"),
    (("list-models", "o", "s", "--page-size", str(2**64)),
     f"list-models: error: argument --page-size: must be at most 18,446,744,073,709,551,615: {2**64}"),
    (("get-model", "m", "--timeout-rpc", "inf"), "get-model: error: argument --timeout-rpc: must be a finite number of seconds: inf"),
    (("get-model", "m", "--timeout-rpc", "1e300"),
     "get-model: error: argument --timeout-rpc: must be at most 2,592,000 seconds (30 days): 1e300"),
    (("wait", "m", "--timeout", "nan"), "wait: error: argument --timeout: must be a finite number of seconds: nan"),
    (("wait", "m", "--interval", "0"), "wait: error: argument --interval: must be more than 0 seconds: 0"),
    (("check-dataset", "d", "--metadata", "F", "--model-id", "M"),
     "check-dataset: error: argument --model-id: not allowed with argument --metadata"),
    (("check-dataset", "d", "--model-id", "M", "--org", "o", "--service", "s"),
     "check-dataset: error: argument --org/--service/--method: not allowed with argument --model-id"),
    (("check-dataset", "d"), "check-dataset: error: one of --metadata, --model-id or --org/--service/--method is required"),
    (("check-dataset", "d", "--org", "o"), "check-dataset: error: argument --org: needs --service"),
    (("check-dataset", "d", "--method", "m"), "check-dataset: error: argument --method: needs --org"),
    (("method-metadata",), "method-metadata: error: one of --model-id or ORG SERVICE is required"),
    (("method-metadata", "o", "s", "--model-id", "m"),
     "method-metadata: error: argument ORG SERVICE: not allowed with argument --model-id"),
    (("method-metadata", "o"), "method-metadata: error: argument ORG: needs SERVICE"),
    (("list-models", "o", "s", "--page", "1"),
     "list-models: error: argument --page: needs --page-size (the daemon treats a page size under 1 as 1)"),
    (("list-models", "o", "s", "--all", "--page", "0"), "list-models: error: argument --page: not allowed with argument --all"),
    (("update-model", "m"), "update-model: error: one of --name, --description, --add-address or --remove-address is required"),
    (("get-model", "m", "--service", "s"), "get-model: error: argument --service: needs --org"),
    (("models", "forget"), "models: error: argument forget: needs MODEL_ID"),
    (("models", "forget", "m", "--prune"), "models: error: argument forget: not allowed with argument --prune"),
    (("models", "drop", "m"), "models: error: argument forget: invalid choice: 'drop' (choose from 'forget')"),
])
def test_mistakes_are_usage_errors_in_argparses_words(argv, line):
    code, last, _ = parse(*argv)
    assert (code, last) == (ExitStatus.USAGE, f"snet training {line}")


def test_a_huge_value_is_quoted_clipped():
    code, last, _ = parse("list-models", "o", "s", "--page", "9" * 100_000, "--page-size", "1")
    assert code == ExitStatus.USAGE and last.endswith("9" * 200 + "…") and len(last) < 300


@pytest.mark.parametrize(("argv", "dest", "value"), [
    (("validate", "m", "--link", " https://example.com/data.zip "), "link", "https://example.com/data.zip"),
    (("validate", "m", "--link", "s3://bucket/key"), "link", "s3://bucket/key"),
    (("update-model", "m", "--add-address", CHECKSUMMED), "add_addresses", [CHECKSUMMED]),
    (("update-model", "m", "--add-address", CHECKSUMMED.lower()), "add_addresses", [CHECKSUMMED.lower()]),
    (("update-model", "m", "--description", ""), "description", ""),
    (("list-models", "o", "s", "--page", "0", "--page-size", str(2**64 - 1)), "page_size", 2**64 - 1),
    (("list-models", "o", "s", "--all", "--page-size", "7"), "page_size", 7),
    (("upload", "m", "p", "--chunk-size", "4000000", "--max-price", str(10**30)), "max_price", 10**30),
    (("get-model", "m", "--timeout-rpc", "2592000"), "rpc_timeout", 2592000.0),
    (("models", "forget", "m"), "action", "forget"),
    (("models", "--prune"), "prune", True),
    (("train", "m", "-v"), "verbose", True),
])
def test_good_values_pass(argv, dest, value):
    code, last, namespace = parse(*argv)
    assert code == 0, last
    assert getattr(namespace, dest) == value


def test_the_real_snet_parser_reports_a_combination_in_its_own_style(tmp_path, capsys):
    from snet.cli import arguments as snet_arguments
    from snet.cli.config import Config

    parser = snet_arguments.get_root_parser(Config(_snet_folder=tmp_path / ".snet"))
    with pytest.raises(SystemExit) as exit_:
        parser.parse_args(["training", "check-dataset", "d.zip", "--metadata", "F", "--model-id", "M"])
    assert exit_.value.code == ExitStatus.USAGE
    stderr = capsys.readouterr().err
    assert stderr.startswith("error: argument --model-id: not allowed with argument --metadata\n")
    assert "usage: snet training check-dataset" in stderr


def test_every_subcommand_has_examples_in_its_help():
    training = standalone_parser()
    commands = training._subparsers._group_actions[0].choices  # noqa: SLF001 -- argparse keeps them only here
    missing = sorted(name for name, parser in commands.items() if "examples:\n" not in (parser.epilog or ""))
    assert missing == []
    for name, examples in EXAMPLES.items():
        assert name in commands
        assert 1 <= len(examples) <= 3
        for _, line in examples:
            assert line.startswith(("snet training ", "MODEL_ID=$(snet training ")), line
            assert f"snet training {name}" in line, line
    help_text = commands["upload"].format_help()
    assert "examples:\n  # every free step, the price, and nothing paid\n  snet training upload MODEL_ID data.zip --dry-run" in help_text


def test_the_example_command_lines_parse():
    for examples in EXAMPLES.values():
        for _, line in examples:
            command = line.split("snet training ", 1)[1].split(" | ")[0].split(" > ")[0].rstrip(")")
            words = shlex.split(command)
            code, last, _ = parse(*words)
            assert code == 0, (line, last)


def test_argument_types_directly():
    assert argtypes.name("x") == "x"
    assert argtypes.address(CHECKSUMMED.upper().replace("0X", "0x")) == CHECKSUMMED.upper().replace("0X", "0x")
    assert argtypes.seconds("0.25") == 0.25
    assert argtypes.cogs("0") == 0
