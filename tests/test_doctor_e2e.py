"""`snet training doctor` against the local network: a healthy service, and each way a session can be broken.

Every check is free: no run here leaves a payment in the double's journal, and none makes a
released daemon crash (get_method_metadata by name only, no health calls, no unknown model ids).
"""

from __future__ import annotations

import json

import pytest

from snet_cli_training.errors import ExitStatus
from snet_cli_training.sandbox import chain, provision
from snet_cli_training.sandbox.processes import free_port
from tests.support import cli
from tests.support.harness import create_model, ok_json, run as training

SERVICE_CHECKS = ["session", "registry", "daemon", "heartbeat", "training", "upload", "channel", "hazards"]
MODEL_CHECKS = ["session", "registry", "daemon", "heartbeat", "training", "upload", "model", "channel", "hazards"]


def doctor(home, *args: str):
    """doctor's run and its checks by name (the JSON document is printed on exit 0 and on exit 1)."""
    run = training(home, "doctor", *args)
    assert run.returncode in (ExitStatus.OK, ExitStatus.ERROR), run.stderr
    document = json.loads(run.stdout)
    assert set(document) == {"ok", "checks"} and document["ok"] is (run.returncode == ExitStatus.OK)
    for check in document["checks"]:
        assert set(check) == {"name", "status", "message", "fix"} and check["status"] in ("ok", "warn", "fail")
        assert check["message"] and (check["fix"] == "") is (check["status"] == "ok")
    return run, {check["name"]: check for check in document["checks"]}


def statuses(checks: dict) -> dict[str, str]:
    return {name: check["status"] for name, check in checks.items()}


def assert_free(control) -> None:
    assert control.journal() == [] and control.behaviour()["crashes"] == []


@pytest.mark.parametrize("behaviour", ["intended", "v6.0", "v6.1"])
def test_a_healthy_service_passes(stack, home, control, behave, behaviour):
    behave(behaviour)
    run, checks = doctor(home, stack.org_id, stack.service_id)
    assert run.returncode == ExitStatus.OK and list(checks) == SERVICE_CHECKS
    assert all(status != "fail" for status in statuses(checks).values())
    assert stack.client.address in checks["session"]["message"] and "chain 1337" in checks["session"]["message"]
    assert stack.daemon_endpoint in checks["registry"]["message"] and "Echo.answer" in checks["training"]["message"]
    assert "at most 10 MB" in checks["training"]["message"]
    assert checks["upload"]["status"] == ("warn" if behaviour == "v6.1" else "ok")
    assert "enough for call 10 cogs" in checks["channel"]["message"]
    assert_free(control)


def test_a_model_is_checked_with_its_prices_and_next_step(stack, home, control):
    model_id = create_model(home, stack, "doctor")["model_id"]
    run, checks = doctor(home, model_id)
    assert run.returncode == ExitStatus.OK and list(checks) == MODEL_CHECKS
    model = checks["model"]["message"]
    assert "is CREATED" in model and "validate or upload 200 cogs, train 300 cogs" in model
    assert f"snet training upload {model_id} PATH" in model
    assert "validate or upload 200 cogs, train 300 cogs, call 10 cogs" in checks["channel"]["message"]
    _, by_service = doctor(home, stack.org_id, stack.service_id, "--model-id", model_id)
    assert list(by_service) == MODEL_CHECKS and by_service["model"]["status"] == "ok"
    assert_free(control)


def test_a_daemon_that_is_down_fails_and_the_checks_that_need_it_wait(stack, home, control):
    endpoint = f"http://127.0.0.1:{free_port()}"
    run, checks = doctor(home, stack.org_id, stack.service_id, "--endpoint", endpoint)
    assert run.returncode == ExitStatus.ERROR
    assert statuses(checks) == {"session": "ok", "registry": "ok", "daemon": "fail", "heartbeat": "warn",
                                "training": "warn", "upload": "warn", "channel": "warn", "hazards": "warn"}
    assert f"cannot reach the daemon at {endpoint}: the connection was refused" == checks["daemon"]["message"]
    assert checks["training"]["message"] == "not checked (the daemon check failed)"


def test_training_switched_off_fails(stack, home, control):
    control.configure(training_enabled=False)
    run, checks = doctor(home, stack.org_id, stack.service_id)
    assert run.returncode == ExitStatus.ERROR
    assert checks["training"]["status"] == "fail" and "training is not enabled" in checks["training"]["message"]
    assert checks["upload"]["message"] == "not checked (the training check failed)"


def test_a_v5_2_style_heartbeat_saying_training_is_off_fails(stack, home, control, behave):
    """Old releases report the switch in the heartbeat; v5.2 keeps answering training calls regardless."""
    behave("v6.0")
    control.configure(training_enabled=False)
    _, checks = doctor(home, stack.org_id, stack.service_id)
    assert checks["training"]["status"] == "fail"


def test_a_v6_2_daemon_fails_the_upload_check_with_the_way_out(stack, home, control, behave):
    behave("v6.2")
    run, checks = doctor(home, stack.org_id, stack.service_id)
    assert run.returncode == ExitStatus.ERROR and [n for n, c in checks.items() if c["status"] == "fail"] == ["upload"]
    assert checks["upload"]["message"] == "snet-daemon v6.2.3: fails every upload"
    assert "validate MODEL_ID --link URL" in checks["upload"]["fix"]
    assert_free(control)


def test_a_missing_channel_fails_with_the_command_that_opens_one(stack, control, tmp_path):
    spare = tmp_path / "spare"
    network = provision.Network(rpc=stack.rpc, ipfs_port=stack.ipfs_port, registry=stack.registry_address,
                                mpe=stack.mpe_address, token=stack.token_address, daemon_endpoint=stack.daemon_endpoint)
    provision.write_home(spare, network, "spare3", chain.dev_private_key("spare3"))
    run, checks = doctor(spare, stack.org_id, stack.service_id)
    assert run.returncode == ExitStatus.ERROR and checks["channel"]["status"] == "fail"
    assert "no payment channel" in checks["channel"]["message"]
    assert checks["channel"]["fix"].startswith("`snet channel open testorg default_group ")


def test_a_daemon_on_another_network_fails_the_heartbeat_check(stack, home, control, behave):
    behave("v6.1", blockchain_network="sepolia")
    run, checks = doctor(home, stack.org_id, stack.service_id)
    assert run.returncode == ExitStatus.ERROR and checks["heartbeat"]["status"] == "fail"
    assert "pays on sepolia (chain 11155111)" in checks["heartbeat"]["message"] and "chain 1337" in checks["heartbeat"]["message"]
    assert "snet network sepolia" in checks["heartbeat"]["fix"]


def test_an_unknown_model_and_a_model_the_store_does_not_know(stack, home, control, behave):
    behave("v6.1")
    model_id = create_model(home, stack, "forgotten")["model_id"]
    control.reset()
    behave("v6.1")
    _, checks = doctor(home, model_id)
    assert checks["model"]["status"] == "fail" and "not found" in checks["model"]["message"]
    _, unknown = doctor(home, "no-such-model")
    assert unknown["registry"]["status"] == "fail" and "doctor ORG SERVICE --model-id no-such-model" in \
        unknown["registry"]["message"]
    assert_free(control)


def test_the_report_reads_one_check_per_line_through_snet(stack, home, control, behave):
    behave("v6.2")
    run = cli.training(home, "doctor", stack.org_id, stack.service_id, json_output=False)
    assert run.returncode == ExitStatus.ERROR, run.stderr
    lines = run.stdout.strip().splitlines()
    assert [line.split()[1] for line in lines[:-1]] == SERVICE_CHECKS and lines[-1] == "1 check(s) fail"
    assert lines[5].startswith("fail  upload") and " -- fix: `snet training validate" in lines[5]
    assert "ERROR" not in run.stderr
    usage = training(home, "doctor", "m1", "--model-id", "m2")
    assert usage.returncode == ExitStatus.USAGE and usage.stdout == ""


def test_the_heartbeat_is_asked_once_per_endpoint_in_a_while(stack, home, control, behave):
    behave("v6.0")
    first = ok_json(training(home, "doctor", stack.org_id, stack.service_id))
    behave("v6.1")  # the cached heartbeat still says v6.0.0; the probe, asked every time, does not
    _, second = doctor(home, stack.org_id, stack.service_id)
    assert "version v6.0.0" in [c for c in first["checks"] if c["name"] == "heartbeat"][0]["message"]
    assert "version v6.0.0" in second["heartbeat"]["message"]
    assert second["upload"]["status"] == "warn" and "drops the first message" in second["upload"]["message"]
