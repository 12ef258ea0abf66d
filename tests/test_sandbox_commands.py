"""`snet training sandbox` without starting a network: its refusals, a stale state, the demo service's classifier."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile

import pytest
import yaml

from snet_cli_training.cli.sandbox_arguments import DAEMON_BEHAVIOURS
from snet_cli_training.commands.sandbox import demo_ending
from snet_cli_training.sandbox import catalog
from snet_cli_training.sandbox.daemon.releases import BEHAVIOURS
from snet_cli_training.sandbox.daemon.textclassifier import DatasetRejected, default_model, examples_from_zip, train
from snet_cli_training.sandbox.demo import QUESTION, TOPICS, write_datasets
from snet_cli_training.sandbox.errors import SandboxError
from snet_cli_training.sandbox.lifecycle import request_for
from tests.support.harness import failed, ok_json, run


@pytest.fixture
def home(tmp_path):
    (tmp_path / "home" / ".snet").mkdir(parents=True)
    return tmp_path / "home"


def test_without_eth_tester_up_and_demo_say_how_to_install_it(home, monkeypatch):
    monkeypatch.setitem(sys.modules, "eth_tester", None)  # find_spec then reports it missing
    for action in ("up", "demo", "reset"):
        error = failed(run(home, "sandbox", action))
        assert "pip install 'snet-cli-training[sandbox]'" in error
    assert not (home / ".snet" / "training" / "sandbox" / "state.json").exists()


def test_a_sandbox_that_never_ran_is_down_and_has_nothing_to_run_in(home):
    assert ok_json(run(home, "sandbox", "status"))["status"] == "down"
    assert ok_json(run(home, "sandbox", "down")) == {"status": "down", "stopped_pids": []}
    assert "the sandbox is not up" in failed(run(home, "sandbox", "run", "--", "true"))
    assert "the sandbox is not up" in failed(run(home, "sandbox", "shell"))
    assert "run needs a command" in failed(run(home, "sandbox", "run"), 2)


def test_up_refuses_a_provider_service_it_could_not_publish(home, tmp_path):
    protos = tmp_path / "protos"
    protos.mkdir()
    (protos / "plain.proto").write_text('syntax = "proto3";\nservice Plain { rpc go(A) returns (A) {} }\nmessage A {}\n')
    cases = {("--provider", "127.0.0.1:7000"): "go together",
             ("--provider", "no-port", "--proto-dir", str(protos)): "HOST:PORT",
             ("--provider", "127.0.0.1:7000", "--proto-dir", str(tmp_path / "missing")): "no such folder",
             ("--provider", "127.0.0.1:7000", "--proto-dir", str(protos)): 'import "training.proto";'}
    for args, message in cases.items():
        assert message in failed(run(home, "sandbox", "up", *args))
    (protos / "plain.proto").unlink()
    (protos / "training.proto").write_text("// the protocol's own file is never the service's\n")
    assert "holds no .proto file of the service" in failed(
        run(home, "sandbox", "up", "--provider", "127.0.0.1:7000", "--proto-dir", str(protos)))


def test_every_daemon_behaviour_up_accepts_is_one_the_simulator_shows(home):
    assert DAEMON_BEHAVIOURS == BEHAVIOURS
    assert request_for(daemon_behaviour="v6.2")["daemon_behaviour"] == "v6.2"
    with pytest.raises(SandboxError, match="has no behaviour v9"):
        request_for(daemon_behaviour="v9")
    assert "invalid choice" in failed(run(home, "sandbox", "up", "--daemon-behaviour", "v9"), 2)


def test_a_stale_state_is_reported_and_cleared_without_signalling_anyone(home):
    folder = home / ".snet" / "training" / "sandbox"
    folder.mkdir(parents=True)
    # A supervisor PID that now belongs to another program, leading a group that is not the sandbox's.
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        (folder / "state.json").write_text(json.dumps({"status": "up", "supervisor": stranger.pid,
                                                        "pgid": stranger.pid, "request": {}, "started_at": 0}))
        status = ok_json(run(home, "sandbox", "status"))
        assert (status["status"], status["left_running"]) == ("stale", [])
        assert "starts a fresh one" in status["reason"]
        assert ok_json(run(home, "sandbox", "down"))["stopped_pids"] == []
        assert stranger.poll() is None and not (folder / "state.json").exists()
    finally:
        stranger.kill()
        stranger.wait()


def test_sandbox_commands_inside_shell_and_run_find_the_sandbox_through_the_environment(home, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    monkeypatch.setenv("SNET_TRAINING_SANDBOX", str(elsewhere))
    assert ok_json(run(home, "sandbox", "status"))["folder"] == str(elsewhere)


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_the_demo_classifier_learns_its_labels_from_the_uploaded_zip(tmp_path):
    _refused, good = write_datasets(tmp_path)
    examples = examples_from_zip(good.read_bytes())
    assert sorted({label for label, _ in examples}) == sorted(TOPICS) and len(examples) == 12
    trained, default = train(examples), default_model()
    assert trained.classify(QUESTION)[0] == "weather"
    assert trained.classify("the goalkeeper saved the match")[0] == "sport"
    assert default.classify(QUESTION)[0] == "positive"
    assert default.classify("what a terrible and sad evening")[0] == "negative"
    label, confidence = trained.classify("stir the soup")
    assert label == "cooking" and 0.5 < confidence <= 1


@pytest.mark.parametrize("files, reason", [
    ({"loose.txt": "no folder"}, "inside a label's folder"),
    ({"a/x.txt": "one label only", "a/y.txt": "still one"}, "at least two labels"),
    ({"a/x.csv": "1,2", "b/y.txt": "text"}, "must be a .txt file"),
])
def test_the_demo_classifier_refuses_data_that_is_not_its_dataset(files, reason):
    with pytest.raises(DatasetRejected, match=reason):
        examples_from_zip(_zip(files))


def test_the_demo_classifier_refuses_bytes_that_are_no_zip():
    with pytest.raises(DatasetRejected, match="not a zip"):
        examples_from_zip(b"plain bytes")


def test_a_provider_service_is_named_after_its_first_service(tmp_path):
    (tmp_path / "acme.proto").write_text('syntax = "proto3";\nimport "training.proto";\nservice Tagger {}\n')
    (tmp_path / "training.proto").write_text("// left out: the daemon and the clients bring their own\n")
    service = catalog.provider_service("localhost:7000", str(tmp_path))
    assert (service.org_id, service.service_id, service.provider, service.forwards) == (
        "sandbox", "tagger", "localhost:7000", True)
    assert [os.path.basename(p) for p in service.proto_files] == ["acme.proto"]
    assert not catalog.CLASSIFIER.forwards and catalog.service_for({}) is catalog.CLASSIFIER


def test_the_demo_ends_with_its_payments_in_snet_clis_yaml():
    payments = [{"rpc": "training.Daemon/train_model", "model_id": "m1", "price_cogs": 300, "signed_amount_cogs": 500},
                {"rpc": "sandbox.Classifier/classify", "model_id": None, "price_cogs": 10, "signed_amount_cogs": 510}]
    text = demo_ending(payments, 12, 13.42, "The sandbox is down again.")
    first, rest = text.split("\n", 1)
    assert first == "All 12 steps did what they should, in 13.4 s. The sandbox is down again."
    assert rest.startswith("Payments the daemon accepted:\n    -   rpc: training.Daemon/train_model\n")
    assert yaml.safe_load(rest.split("\n", 1)[1]) == payments
