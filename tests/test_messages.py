"""What a user reads when something is wrong: one `ERROR:` line that names the mistake, and nothing in front of it.

The table tests run the commands in-process against the local network; the pieces behind them
(PARAMS against a request, the node that does not answer, escaping and clipping) are tested on their own.
"""

from __future__ import annotations

import json
import shutil

import pytest
import requests
from google.protobuf import type_pb2

from snet_cli_training import errors, privatefile
from snet_cli_training.cli.dispatch import error_line
from snet_cli_training.commands.params import read_params, request_mistake
from snet_cli_training.console import render
from snet_cli_training.snetcli.translate import unanswered_node
from tests.support.harness import create_model, run


# --- the pieces ---

@pytest.mark.parametrize(("text", "escaped"), [
    ("plain name.txt", "plain name.txt"),
    ("a\nb\tc\rd", "a\\nb\\tc\\rd"),
    ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
    ("nul\x00del\x7fc1\x85", "nul\\x00del\\x7fc1\\x85"),
    ("line\u2028sep rtl\u202eoverride", "line\\u2028sep rtl\\u202eoverride"),
    ("naïve 名前 😀", "naïve 名前 😀"),
])
def test_printable_escapes_control_characters_only(text, escaped):
    assert render.printable(text) == escaped


def test_clip_and_the_error_line_bound_what_they_repeat():
    assert render.clip("x" * 200) == "x" * 200
    assert render.clip("x" * 201) == "x" * 200 + "…"
    line = error_line("cannot use " + "y" * 100_000 + "\nWARNING: forged")
    assert line.startswith("ERROR: cannot use yyy") and line.endswith("…") and "\n" not in line
    assert len(line) == len("ERROR: ") + 1000 + 1


@pytest.mark.parametrize(("text", "message"), [
    ('{"text": 1', "PARAMS is not valid JSON: Expecting ',' delimiter at line 1 column 11"),
    ('{\n  "text": "a",\n  oops\n}', "PARAMS is not valid JSON: Expecting property name enclosed in double quotes at line 3 column 3"),
    ("[1, 2]", "PARAMS must be a JSON object, not an array"),
    ("5", "PARAMS must be a JSON object, not the number 5"),
    ("null", "PARAMS must be a JSON object, not null"),
    ("-", "PARAMS must be a JSON object or a file holding one (stdin is not read)"),
    ("missing.json", "PARAMS file not found: missing.json (PARAMS is a JSON object or a file holding one)"),
    ("m" * 5000, f"PARAMS file not found: {'m' * 200}… (PARAMS is a JSON object or a file holding one)"),
])
def test_params_mistakes(text, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(errors.UserInputError) as caught:
        read_params(text)
    assert str(caught.value) == message


def test_params_from_a_file(tmp_path):
    good, listed, broken = tmp_path / "good.json", tmp_path / "list.json", tmp_path / "broken.json"
    good.write_text('{"text": "hi"}')
    listed.write_text("[]")
    broken.write_text('{"text": }')
    assert read_params(str(good)) == {"text": "hi"}
    with pytest.raises(errors.UserInputError, match=f"^PARAMS file {listed} must hold a JSON object, not an array$"):
        read_params(str(listed))
    with pytest.raises(errors.UserInputError, match=f"^PARAMS file {broken} is not valid JSON: Expecting value at line 1 column 10$"):
        read_params(str(broken))


FIELD = type_pb2.Field.DESCRIPTOR  # kind (enum), number (int32), name (string), packed (bool), options (repeated Option)
FIELD_NAMES = ", ".join(f.name for f in FIELD.fields)


@pytest.mark.parametrize(("params", "mistake"), [
    ({"name": "x", "number": 3, "kind": "TYPE_STRING", "packed": True, "options": [{"name": "o"}]}, None),
    ({"kind": 9, "json_name": None}, None),
    ({"nmae": "x"}, f"PARAMS field 'nmae' is not in google.protobuf.Field; its fields: {FIELD_NAMES}"),
    ({"name": 5}, "PARAMS field 'name' must be a string, not the number 5"),
    ({"name": ["x"]}, "PARAMS field 'name' must be a string, not an array"),
    ({"number": "3"}, "PARAMS field 'number' must be a whole number from -2147483648 to 2147483647, not a string"),
    ({"number": 2**40}, f"PARAMS field 'number' must be a whole number from -2147483648 to 2147483647, not the number {2**40}"),
    ({"number": 1.5}, "PARAMS field 'number' must be a whole number from -2147483648 to 2147483647, not the number 1.5"),
    ({"number": True}, "PARAMS field 'number' must be a whole number from -2147483648 to 2147483647, not a boolean"),
    ({"packed": "yes"}, "PARAMS field 'packed' must be true or false, not a string"),
    ({"kind": "TYPE_NOPE"}, "PARAMS field 'kind' must be one of " + ", ".join(v.name for v in type_pb2.Field.Kind.DESCRIPTOR.values)
     + ", not a string"),
    ({"options": {"name": "o"}}, "PARAMS field 'options' must be an array of an object (google.protobuf.Option), not an object"),
    ({"options": [{"name": "o"}, "x"]}, "PARAMS field 'options[1]' must be an object (google.protobuf.Option), not a string"),
    ({"options": [{"nope": 1}]}, "PARAMS field 'options[0].nope' is not in google.protobuf.Option; its fields: name, value"),
])
def test_params_against_the_request(params, mistake):
    assert request_mistake(FIELD, params) == mistake


def test_the_field_the_command_fills_is_not_offered():
    assert request_mistake(FIELD, {"name": "x"}, skip="name") == (
        "PARAMS field 'name' is not in google.protobuf.Field; its fields: "
        + ", ".join(f.name for f in FIELD.fields if f.name != "name"))


def _refused(url: str, body: bytes) -> requests.ConnectionError:
    request = requests.Request("POST", url, data=body).prepare()
    return requests.ConnectionError("Max retries exceeded with url: / (Caused by NewConnectionError(...))", request=request)


def test_a_node_that_does_not_answer_is_named_without_its_path():
    chain = unanswered_node(_refused("https://sepolia.infura.io/v3/SECRETKEY", b'{"jsonrpc": "2.0", "method": "eth_call"}'))
    assert isinstance(chain, errors.ChainUnavailable)
    assert str(chain) == ("the Ethereum node at https://sepolia.infura.io does not answer: "
                          "check `snet network list` / your RPC endpoint")
    import ipfshttpclient.exceptions

    try:
        try:
            raise _refused("http+ip4://127.0.0.1:5002/api/v0/cat?arg=Qm", b"")
        except requests.ConnectionError as exc:
            raise ipfshttpclient.exceptions.ConnectionError(exc) from exc
    except ipfshttpclient.exceptions.ConnectionError as wrapped:
        ipfs = unanswered_node(wrapped)
    assert isinstance(ipfs, errors.IpfsUnavailable)
    assert str(ipfs) == ("the IPFS node at http://127.0.0.1:5002 does not answer: "
                         "check `snet set default_ipfs_endpoint` / your IPFS endpoint")
    assert unanswered_node(_refused("https://example.com/other", b"{}")) is None
    assert unanswered_node(ValueError("Cannot find Service with id=x")) is None


def test_a_state_file_that_cannot_be_read_is_said_so(tmp_path):
    path = tmp_path / "models.json"
    path.mkdir()
    warnings: list[str] = []
    assert privatefile.read_trusted(path, lambda document: True, warnings.append) is None
    assert warnings == [f"ignoring {path}: it is not a regular file"]


# --- the commands, input -> the exact line ---

@pytest.fixture
def ready_model(stack, home, control):
    model_id = create_model(home, stack, "ready")["model_id"]
    control.set_status(model_id, "READY_TO_USE")
    return model_id


def test_each_mistake_is_one_line_naming_it(stack, home, ready_model, tmp_path):
    (tmp_path / "list.json").write_text("[1]")
    endpoint = stack.daemon_endpoint
    cases = [
        (("call", ready_model, "answer", '{"text": 1'), "PARAMS is not valid JSON: Expecting ',' delimiter at line 1 column 11"),
        (("call", ready_model, "answer", str(tmp_path / "nofile.json")),
         f"PARAMS file not found: {tmp_path / 'nofile.json'} (PARAMS is a JSON object or a file holding one)"),
        (("call", ready_model, "answer", "[1,2]"), "PARAMS must be a JSON object, not an array"),
        (("call", ready_model, "answer", str(tmp_path / "list.json")),
         f"PARAMS file {tmp_path / 'list.json'} must hold a JSON object, not an array"),
        (("call", ready_model, "answer", '{"nope": 1}'), "PARAMS field 'nope' is not in example.Query; its fields: text"),
        (("call", ready_model, "answer", '{"text": 5}'), "PARAMS field 'text' must be a string, not the number 5"),
        (("call", ready_model, "answer", '{"model_id": {"model_id": "x"}}'),
         "PARAMS sets model_id: the model comes from MODEL_ID, leave it out"),
        (("call", ready_model, "Other.answer", "{}"),
         "'Other.answer' is not a method of Echo, the service the model was trained for: use Echo.METHOD or just METHOD"),
        (("call", ready_model, "nope", "{}"), "method not found: nope (the service's proto files have no such method)"),
        (("get-model", "nope", "--org", stack.org_id, "--service", stack.service_id),
         f"model not found: nope (the daemon at {endpoint} has none that {stack.client.address.lower()} may see: "
         "deleted, never created, or access removed)"),
        (("get-model", "unknown"),
         "model not found: unknown (not in the local model store of network local: pass --org ORG --service SERVICE; "
         "list-models and get-model with them remember it)"),
        (("get-model", "z" * 100_000), f"model not found: {'z' * 200}… (not in the local model store of network local: "
                                        "pass --org ORG --service SERVICE; list-models and get-model with them remember it)"),
        (("models", "forget", "unknown"), "model not found: unknown (not in the local model store)"),
        (("metadata", stack.org_id, "nope"), "service not found: testorg/nope (not registered on network local)"),
        (("metadata", "nope", stack.service_id), "organization not found: nope (not registered on network local)"),
        (("metadata", stack.org_id, stack.service_id, "--group", "eu"),
         "payment group not found: eu (the groups of testorg/echo: default_group)"),
        (("check-dataset", "data.zip", "--metadata", str(tmp_path / "none.json")), f"metadata file not found: {tmp_path / 'none.json'}"),
    ]
    for argv, message in cases:
        result = run(home, *argv)
        assert (result.returncode, result.stdout, result.stderr) == (1, "", f"ERROR: {message}\n"), argv


@pytest.mark.parametrize(("node", "message"), [
    ("chain", "the Ethereum node at http://127.0.0.1:1 does not answer: check `snet network list` / your RPC endpoint"),
    ("ipfs", "the IPFS node at http://127.0.0.1:2 does not answer: check `snet set default_ipfs_endpoint` / your IPFS endpoint"),
])
def test_a_node_that_does_not_answer(stack, home, node, message):
    config = home / ".snet" / "config"
    old, new = {"chain": (stack.rpc, "http://127.0.0.1:1"),
                "ipfs": (f"/ip4/127.0.0.1/tcp/{stack.ipfs_port}/http", "/ip4/127.0.0.1/tcp/2/http")}[node]
    assert old in config.read_text()
    config.write_text(config.read_text().replace(old, new))
    shutil.rmtree(home / ".snet" / "mpe_client", ignore_errors=True)  # no cached metadata: IPFS must be asked
    for json_output in (True, False):
        result = run(home, "metadata", stack.org_id, stack.service_id, json_output=json_output)
        assert (result.returncode, result.stdout, result.stderr) == (1, "", f"ERROR: {message}\n")


def test_call_takes_service_method_and_package_service_method(stack, home, ready_model):
    for method in ("answer", "Echo.answer", "example.Echo.answer"):
        result = run(home, "call", ready_model, method, '{"text": "x"}', "--dry-run")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["paid"] is False
        assert result.stderr == ("dry run, nothing was signed or paid: the real command would pay 10 cogs "
                                 '(0.00000000000000001 FET) to testorg/echo for calling Echo.answer (model "ready")\n')
