"""The free model commands end to end against the local chain and the daemon double.

The commands run in-process (tests/support/harness.py); Ctrl-C, which needs a process, runs the real `snet`.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path


from snet_cli_training.errors import ExitStatus
from tests.support.harness import create_model, ok_json, run as training
from tests.support.cli import snet_executable

MODEL_KEYS = {"model_id", "status", "name", "description", "grpc_service_name", "grpc_method_name", "is_public",
              "address_list", "training_data_link", "created_by_address", "updated_by_address", "created_date",
              "updated_date", "org_id", "service_id", "group_name"}
LIMIT_KEYS = {"dataset_max_size_mb", "dataset_max_count_files", "dataset_max_size_single_file_mb", "dataset_files_type",
              "dataset_type", "dataset_description", "default_model_id", "max_models_per_user"}


def create(home: Path, stack, name: str, *extra: str) -> dict:
    return create_model(home, stack, name, *extra)


def test_metadata_methods_and_method_metadata(stack, home):
    assert ok_json(training(home, "metadata", stack.org_id, stack.service_id)) == {
        "trainingEnabled": True, "trainingInProto": True, "trainingMethods": {"Echo": ["answer"]}}
    (method,) = ok_json(training(home, "methods", stack.org_id, stack.service_id))
    assert method["full_name"] == "example.Echo.answer" and set(method) == {"service", "method", "full_name"} | LIMIT_KEYS
    assert method["dataset_max_size_mb"] == 10 and method["dataset_files_type"] == "png, mp3, txt"
    table = training(home, "methods", stack.org_id, stack.service_id, json_output=False)
    assert table.returncode == 0 and "example.Echo.answer" in table.stdout and "png, mp3, txt" in table.stdout
    for name in ("answer", "Echo.answer", "example.Echo.answer"):
        limits = ok_json(training(home, "method-metadata", stack.org_id, stack.service_id, name))
        assert limits["service"] == "Echo" and limits["method"] == "answer" and set(limits) - {"service", "method"} == LIMIT_KEYS
    unknown = training(home, "method-metadata", stack.org_id, stack.service_id, "nope")
    assert unknown.returncode == 1 and "Echo.answer" in unknown.stderr and unknown.stdout == ""
    schema = ok_json(training(home, "method-metadata", stack.org_id, stack.service_id, "answer", "--schema"))
    assert schema["$schema"].startswith("https://json-schema.org/")


def test_model_lifecycle_in_json_and_text(stack, home):
    model = create(home, stack, "lifecycle", "--description", "first")
    assert set(model) == MODEL_KEYS
    assert (model["status"], model["grpc_service_name"], model["grpc_method_name"]) == ("CREATED", "Echo", "answer")
    assert model["created_by_address"] == stack.client.address.lower()
    model_id = model["model_id"]

    text = training(home, "get-model", model_id, json_output=False)
    assert text.returncode == 0 and f"    model_id: {model_id}" in text.stdout and "    status: CREATED" in text.stdout

    stored = ok_json(training(home, "models"))
    assert [m["model_id"] for m in stored] == [model_id]
    assert set(stored[0]) == {"model_id", "network", "org_id", "service_id", "group_name", "endpoint",
                              "grpc_service_name", "grpc_method_name", "status", "name"}
    assert stored[0]["name"] == "lifecycle"

    updated = ok_json(training(home, "update-model", model_id, "--name", "renamed", "--description", "second",
                               "--add-address", stack.client2.address))
    assert (updated["name"], updated["description"]) == ("renamed", "second")
    assert [a.lower() for a in updated["address_list"]] == [stack.client.address.lower(), stack.client2.address.lower()]

    removed = training(home, "update-model", model_id, "--remove-address", stack.client2.address)
    assert [a.lower() for a in ok_json(removed)["address_list"]] == [stack.client.address.lower()]
    assert "may keep read access" in removed.stderr
    creator = training(home, "update-model", model_id, "--remove-address", stack.client.address)
    assert creator.returncode == 1 and "always keeps access" in creator.stderr

    refused = training(home, "delete-model", model_id)
    assert refused.returncode == ExitStatus.NOT_CONFIRMED and json.loads(refused.stdout) == {"model_id": model_id, "status": "CREATED"}
    assert ok_json(training(home, "get-model", model_id))["status"] == "CREATED"
    assert ok_json(training(home, "delete-model", model_id, "-y")) == {"model_id": model_id, "status": "DELETED"}
    assert ok_json(training(home, "models"))[0]["status"] == "DELETED"


def test_list_models_filters_paging_all_and_duplicates(stack, home, control):
    ids = [create(home, stack, f"model {i}")["model_id"] for i in range(3)]
    public = create(home, stack, "shared", "--public")["model_id"]
    listed = ok_json(training(home, "list-models", stack.org_id, stack.service_id))
    assert [m["model_id"] for m in listed] == [*ids, public]
    assert [m["model_id"] for m in ok_json(training(home, "list-models", stack.org_id, stack.service_id, "--public"))] == [public]
    assert [m["model_id"] for m in ok_json(training(home, "list-models", stack.org_id, stack.service_id, "--private"))] == ids
    assert [m["model_id"] for m in ok_json(training(home, "list-models", stack.org_id, stack.service_id,
                                                    "--name", "MODEL 1"))] == [ids[1]]
    assert ok_json(training(home, "list-models", stack.org_id, stack.service_id, "--status", "ready_to_use")) == []
    page = ok_json(training(home, "list-models", stack.org_id, stack.service_id, "--page", "1", "--page-size", "2"))
    assert [m["model_id"] for m in page] == [ids[2], public]
    first = ok_json(training(home, "list-models", stack.org_id, stack.service_id, "--page-size", "3"))
    assert [m["model_id"] for m in first] == ids
    control.configure(duplicate_listing=True)
    walked = ok_json(training(home, "list-models", stack.org_id, stack.service_id, "--all", "--page-size", "2"))
    assert [m["model_id"] for m in walked] == [*ids, public]
    assert training(home, "list-models", stack.org_id, stack.service_id, "--page", "1").returncode == ExitStatus.USAGE
    assert training(home, "list-models", stack.org_id, stack.service_id, "--all", "--page", "0",
                    "--page-size", "2").returncode == ExitStatus.USAGE
    text = training(home, "list-models", stack.org_id, stack.service_id, json_output=False)
    assert text.returncode == 0 and all(model_id in text.stdout for model_id in ids)


def test_second_identity_sees_public_and_listed_models_only(stack, home, home2):
    private = create(home, stack, "private")["model_id"]
    public = create(home, stack, "public", "--public")["model_id"]
    listed = create(home, stack, "listed", "--address", stack.client2.address)["model_id"]
    where = ("--org", stack.org_id, "--service", stack.service_id)

    hidden = training(home2, "get-model", private, *where)
    assert hidden.returncode == 1 and hidden.stdout == "" and private in hidden.stderr
    assert ok_json(training(home2, "get-model", public, *where))["model_id"] == public
    assert ok_json(training(home2, "get-model", listed, *where))["model_id"] == listed
    change = training(home2, "update-model", listed, "--name", "taken over")
    assert change.returncode == 1 and "creator" in change.stderr
    delete = training(home2, "delete-model", public, "-y")
    assert delete.returncode == 1 and "creator" in delete.stderr
    seen = {m["model_id"] for m in ok_json(training(home2, "list-models", stack.org_id, stack.service_id))}
    assert seen == {public, listed}


def test_check_dataset_with_the_daemons_limits(stack, home, tmp_path):
    model_id = create(home, stack, "with limits")["model_id"]
    dataset = tmp_path / "data"
    dataset.mkdir()
    (dataset / "a.txt").write_text("fine")
    (dataset / "b.jpg").write_bytes(b"jpg")
    report = training(home, "check-dataset", str(dataset), "--model-id", model_id)
    assert report.returncode == ExitStatus.DATASET_REJECTED
    assert [v["code"] for v in json.loads(report.stdout)["violations"]] == ["wrong_file_type"]
    (dataset / "b.jpg").unlink()
    by_method = training(home, "check-dataset", str(dataset), "--org", stack.org_id, "--service", stack.service_id,
                         "--method", "answer")
    assert ok_json(by_method)["ok"] is True


def test_ten_get_model_calls_cost_one_signature_and_one_chain_call_each(stack, home):
    model_id = create(home, stack, "cached")["model_id"]
    cache = home / ".snet" / "training" / "signatures.json"
    training(home, "get-model", model_id)
    assert cache.stat().st_mode & 0o777 == 0o600 and cache.parent.stat().st_mode & 0o777 == 0o700
    signed = cache.read_bytes()
    stack.take_chain_request_counts()
    for _ in range(10):
        ok_json(training(home, "get-model", model_id))
    counts = stack.take_chain_request_counts()
    client_calls = {method: n for method, n in counts.items() if method.startswith("client:")}
    assert client_calls == {"client:eth_blockNumber": 10}, counts
    assert cache.read_bytes() == signed  # no new signature


def test_signature_cache_expires_with_the_block_window(stack, home):
    model_id = create(home, stack, "expiring")["model_id"]
    cache = home / ".snet" / "training" / "signatures.json"
    ok_json(training(home, "get-model", model_id))
    before = json.loads(cache.read_text())
    stack.mine(601)
    ok_json(training(home, "get-model", model_id))
    assert json.loads(cache.read_text()) != before


def test_corrupt_or_foreign_cache_and_store_are_ignored_with_a_warning(stack, home):
    model_id = create(home, stack, "store me")["model_id"]
    folder = home / ".snet" / "training"
    (folder / "signatures.json").write_text("{not json")
    (folder / "models.json").write_text(json.dumps({"version": 1, "models": [{"model_id": model_id}]}))
    forgotten = training(home, "get-model", model_id)
    assert forgotten.returncode == 1 and "local model store" in forgotten.stderr
    assert "WARNING: ignoring" in forgotten.stderr
    again = training(home, "get-model", model_id, "--org", stack.org_id, "--service", stack.service_id)
    assert ok_json(again)["model_id"] == model_id and "signatures.json" in again.stderr
    os.chmod(folder / "models.json", 0o666)
    foreign = training(home, "models")
    assert ok_json(foreign) == [] and "not a private file" in foreign.stderr


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_daemon_down_is_a_clear_error_naming_the_endpoint(stack, home):
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    started = time.monotonic()
    result = training(home, "metadata", stack.org_id, stack.service_id, "--endpoint", endpoint, "--timeout-rpc", "3")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip().splitlines()[-1].startswith("ERROR: ") and f"127.0.0.1:{endpoint.rsplit(':', 1)[1]}" in result.stderr
    assert time.monotonic() - started < 30


def test_stalled_daemon_hits_the_deadline(stack, home, control):
    control.fault(stall={"get_training_metadata": 20})
    started = time.monotonic()
    result = training(home, "metadata", stack.org_id, stack.service_id, "--timeout-rpc", "2")
    assert result.returncode == 1 and "ERROR: " in result.stderr
    assert time.monotonic() - started < 15


def test_unknown_service_group_and_session_problems(stack, home):
    assert "not registered" in training(home, "metadata", stack.org_id, "nope").stderr
    group = training(home, "metadata", stack.org_id, stack.service_id, "--group", "nope")
    assert group.returncode == 1 and "default_group" in group.stderr


def test_ctrl_c_exits_130_without_a_traceback(stack, home, control):
    control.fault(stall={"get_training_metadata": 30})
    env = dict(os.environ, HOME=str(home), PYTHONWARNINGS="ignore")
    process = subprocess.Popen([snet_executable(), "training", "metadata", stack.org_id, stack.service_id],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not _connected_to(process.pid, stack.daemon_port):
        assert time.monotonic() < deadline, "the command never reached the daemon"
        time.sleep(0.1)
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == ExitStatus.INTERRUPTED, err
    assert "Traceback" not in err and err.strip().endswith("ERROR: interrupted")
    assert out == ""


def _connected_to(pid: int, port: int) -> bool:
    """Whether process `pid` has a TCP connection to 127.0.0.1:`port` (it is inside the daemon call)."""
    try:
        inodes = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
        # gRPC may connect over IPv6 with a v4-mapped address: look in both tables.
        rows = [row for table in ("/proc/net/tcp", "/proc/net/tcp6") for row in Path(table).read_text().splitlines()[1:]]
    except OSError:
        return False
    for row in rows:
        fields = row.split()
        remote_port = int(fields[2].rsplit(":", 1)[1], 16)
        if remote_port == port and fields[3] == "01" and f"socket:[{fields[9]}]" in inodes:
            return True
    return False


def test_a_daemon_without_training_says_so(stack, home, control):
    control.configure(training_enabled=False)
    result = training(home, "metadata", stack.org_id, stack.service_id)
    assert result.returncode == 1 and result.stdout == ""
    assert "training" in result.stderr.splitlines()[-1].lower() and result.stderr.splitlines()[-1].startswith("ERROR: ")
