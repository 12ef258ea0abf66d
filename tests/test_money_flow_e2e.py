"""What real networks do to users after money has moved (in-process): waits that survive the daemon, funding in one
consented step, dry runs that tell the truth, interruptions that say what was paid, free reads without an identity."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from snet_cli_training.errors import ExitStatus
from tests.support.cli import use_home
from tests.support.harness import Terminal, create_model, failed, ok_json, run as training
from tests.support.identities import new_identity

LINK = "https://example.com/data.zip"
VALIDATE_PRICE, TRAIN_PRICE, CALL_PRICE = 200, 300, 10


def _increments(control) -> list[tuple[str, int]]:
    return [(e["rpc"].rsplit("/", 1)[-1], e["increment"]) for e in control.journal()]


def _zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data/a.txt", b"some text")
    return path


class _Pauses:
    """A sleep that turns a fault on at the first pause (after the payment), then sleeps briefly."""

    def __init__(self, on_first=None) -> None:
        self.on_first, self.count = on_first, 0

    def __call__(self, seconds: float) -> None:
        self.count += 1
        if self.count == 1 and self.on_first:
            self.on_first()
        import time

        time.sleep(min(seconds, 0.05))


# --- waits that survive the network --------------------------------------------------------------------------------

def test_train_wait_survives_a_daemon_unavailable_for_three_polls(stack, home, control):
    model_id = create_model(home, stack, "flaky daemon")["model_id"]
    control.set_status(model_id, "VALIDATED")
    control.configure(train_seconds=1)
    # each poll asks three times (one call and its two retries): nine answers are three failed polls
    pauses = _Pauses(lambda: control.fault(unavailable_once=["get_model"] * 9))
    result = training(home, "train", model_id, "-y", "--wait", "--interval", "0.1", sleep=pauses)
    document = ok_json(result)
    assert document["status"] == "READY_TO_USE" and document["paid"] is True
    assert result.stderr.count("retrying in") == 1 and "answers again" in result.stderr
    assert _increments(control) == [("train_model", TRAIN_PRICE)]


def test_a_wait_whose_daemon_never_comes_back_times_out_with_the_last_known_status(stack, home, control):
    model_id = create_model(home, stack, "gone daemon")["model_id"]
    control.set_status(model_id, "VALIDATING")
    ok_json(training(home, "get-model", model_id))
    result = training(home, "wait", model_id, "--timeout", "1", "--interval", "0.2", "--endpoint", "http://127.0.0.1:9")
    assert result.returncode == ExitStatus.TIMED_OUT
    assert json.loads(result.stdout)["status"] == "VALIDATING" and "still does not answer" in result.stderr


# --- one consented step to fund a whole flow -------------------------------------------------------------------------

def test_fund_once_then_upload_train_and_call_pay_without_more_funding(stack, control, tmp_path, monkeypatch):
    address, home = new_identity(stack, tmp_path / "fresh", tokens=10**6)
    use_home(home, monkeypatch)
    model_id = create_model(home, stack, "funded once")["model_id"]
    need = VALIDATE_PRICE + TRAIN_PRICE + CALL_PRICE

    plan = ok_json(training(home, "fund", model_id, "--dry-run"))
    assert plan["done"] is False and plan["need_cogs"] == need and plan["escrow_cogs"] == 0
    assert [step["action"] for step in plan["plan"]] == ["deposit", "open"]
    assert [step["amount_cogs"] for step in plan["plan"]] == [need, need]
    refused = training(home, "fund", model_id)
    assert refused.returncode == ExitStatus.NOT_CONFIRMED and json.loads(refused.stdout)["done"] is False

    funded = ok_json(training(home, "fund", model_id, "--for", "upload,train,call", "-y", "--expiration", "30d"))
    assert funded["done"] is True and funded["channel_value_cogs"] == need and funded["escrow_cogs"] == 0
    assert funded["expiration"] >= stack.block_number() + 216000 - 5
    again = ok_json(training(home, "fund", model_id, "-y"))
    assert again["plan"] == [] and again["done"] is True

    ok_json(training(home, "upload", model_id, str(_zip(tmp_path / "d.zip")), "-y", "--wait", "--interval", "0.1"))
    ok_json(training(home, "train", model_id, "-y", "--wait", "--interval", "0.1"))
    assert ok_json(training(home, "call", model_id, "answer", '{"text": "hi"}', "-y"))["model_id"] == model_id
    assert _increments(control) == [("upload_and_validate", VALIDATE_PRICE), ("train_model", TRAIN_PRICE),
                                    ("answer", CALL_PRICE)]


def test_open_channel_deposits_into_escrow_in_the_same_plan(stack, control, tmp_path, monkeypatch):
    _, home = new_identity(stack, tmp_path / "fresh", tokens=10**6)
    use_home(home, monkeypatch)
    model_id = create_model(home, stack, "one step")["model_id"]
    paid = training(home, "validate", model_id, "--link", LINK, "-y", "--open-channel", "--amount", "1000")
    assert ok_json(paid)["paid"] is True and "snet account deposit" in paid.stderr
    assert _increments(control) == [("validate_model", VALIDATE_PRICE)]
    assert ok_json(training(home, "fund", stack.org_id, stack.service_id, "--amount", "800"))["plan"] == []


# --- dry runs that tell the truth ----------------------------------------------------------------------------------

def test_a_dry_run_fails_exactly_as_the_real_run_would(stack, control, tmp_path, monkeypatch):
    _, home = new_identity(stack, tmp_path / "poor")  # ether for gas, no tokens, no escrow
    use_home(home, monkeypatch)
    model_id = create_model(home, stack, "no money")["model_id"]
    for flags in (["--open-channel"], ["--open-channel", "--amount", "5000"]):
        dry = failed(training(home, "validate", model_id, "--link", LINK, "--dry-run", *flags))
        real = failed(training(home, "validate", model_id, "--link", LINK, "-y", *flags))
        assert dry.strip().splitlines()[-1] == real.strip().splitlines()[-1] and "tokens" in dry
    assert failed(training(home, "fund", model_id, "--dry-run")).splitlines()[-1] == \
        failed(training(home, "fund", model_id, "-y")).splitlines()[-1]
    assert control.journal() == []


# --- an interruption says what was paid --------------------------------------------------------------------------

class _InterruptedQuestion(Terminal):
    def readline(self, *args) -> str:
        raise KeyboardInterrupt


def test_an_interruption_says_what_was_paid(stack, home, control, tmp_path):
    model_id = create_model(home, stack, "interrupted")["model_id"]
    from tests.support import harness

    asked = harness.run(home, "upload", model_id, str(_zip(tmp_path / "d.zip")), terminal=True, stdin="")
    assert asked.returncode == ExitStatus.NOT_CONFIRMED  # (a terminal with no answer: no)
    control.set_status(model_id, "VALIDATED")
    control.configure(train_seconds=5)

    def interrupt(_seconds: float) -> None:
        raise KeyboardInterrupt

    during_wait = training(home, "train", model_id, "-y", "--wait", sleep=interrupt)
    assert during_wait.returncode == ExitStatus.INTERRUPTED
    assert during_wait.stderr.strip().splitlines()[-1] == (
        f"ERROR: interrupted after the daemon accepted {TRAIN_PRICE} cogs for training of model {model_id}: "
        f"the model is TRAINING; resume with `snet training wait {model_id}`")
    assert _increments(control) == [("train_model", TRAIN_PRICE)]
    next_run = failed(training(home, "train", model_id, "-y"))
    assert "nothing was paid" in next_run and f"an earlier, interrupted run paid {TRAIN_PRICE} cogs for training" in next_run


def test_ctrl_c_at_the_question_is_before_anything_was_paid(stack, home, control):
    model_id = create_model(home, stack, "asked")["model_id"]
    from tests.support import harness

    console_stdin = _InterruptedQuestion()
    result = harness.run(home, "validate", model_id, "--link", LINK, terminal=True, stdin_stream=console_stdin)
    assert result.returncode == ExitStatus.INTERRUPTED
    assert result.stderr.strip().splitlines()[-1] == "ERROR: interrupted before anything was paid"
    assert control.journal() == []


# --- a rejected dataset is explained --------------------------------------------------------------------------------

def test_a_dataset_rejected_after_payment_is_explained(stack, home, control, tmp_path):
    model_id = create_model(home, stack, "rejected later")["model_id"]
    control.fault(reject_next_dataset=True)
    dataset = _zip(tmp_path / "d.zip")
    result = training(home, "upload", model_id, str(dataset), "-y", "--wait", "--interval", "0.1")
    assert result.returncode == ExitStatus.MODEL_FAILED
    assert json.loads(result.stdout)["paid"] is True and json.loads(result.stdout)["status"] == "ERRORED"
    error = [line for line in result.stderr.splitlines() if line.startswith("ERROR: ")]
    assert len(error) == 1 and f"model {model_id}" in error[0] and "rejected the dataset" in error[0]
    assert f"validate price of {VALIDATE_PRICE} cogs was paid" in error[0]
    assert f"check-dataset {dataset} --model-id {model_id}" in error[0]


# --- free reads without an identity ------------------------------------------------------------------------------------

@pytest.fixture
def network_only_home(home):
    """The client's HOME with its identity taken out of snet-cli's config: a network and nothing else."""
    import configparser

    config_path = home / ".snet" / "config"
    config = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    config.read(config_path)
    for section in [s for s in config.sections() if s.startswith("identity.")]:
        config.remove_section(section)
    config.remove_option("session", "identity")
    with open(config_path, "w") as handle:
        config.write(handle)
    return home


def test_free_reads_need_only_a_network(stack, network_only_home, tmp_path):
    home = network_only_home
    assert ok_json(training(home, "metadata", stack.org_id, stack.service_id))["trainingEnabled"] is True
    assert ok_json(training(home, "methods", stack.org_id, stack.service_id))[0]["method"] == "answer"
    assert ok_json(training(home, "method-metadata", stack.org_id, stack.service_id, "answer"))["service"] == "Echo"
    assert ok_json(training(home, "check-dataset", str(_zip(tmp_path / "d.zip")), "--org", stack.org_id,
                            "--service", stack.service_id, "--method", "answer"))["ok"] is True
    signing = failed(training(home, "create-model", stack.org_id, stack.service_id, "--name", "needs a key"))
    assert "no identity in snet-cli's session" in signing
