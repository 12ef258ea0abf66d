"""`snet training upload` against the double behaving like each snet-daemon release (docs/daemon-releases.md).

For every release the dataset either arrives whole, byte for byte, and is paid once at the quoted
price, or nothing is charged. Commands run in-process (tests/support/harness.py); two runs go
through the real `snet`. The double's journal holds the payments it committed; the plugin's own
journal (payments.json) what this HOME signed.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from web3 import Web3

from snet_cli_training import errors
from snet_cli_training.commands import preflight
from snet_cli_training.daemon.authorization import Authorizer, Signer
from snet_cli_training.daemon.canary import canary_message
from snet_cli_training.daemon.client import DaemonClient
from snet_cli_training.errors import ExitStatus
from snet_cli_training.payment.journal import FILE_NAME, PaymentJournal
from tests.support import cli
from tests.support.harness import create_model, failed, ok_json, run as training
from tests.test_daemon_double import Daemon

VALIDATE_PRICE = 200
LINK = "https://example.com/data.zip"
PLAIN, CANARY = "plain", "canary"
WHOLE = [("intended", "dev", PLAIN), ("v6.0", "v6.0.0", PLAIN), ("v6.0-dynamic-pricing", "v6.0.0", CANARY),
         ("v6.1", "v6.1.0", CANARY)]


def zip_dataset(path: Path, size: int) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("data/a.txt", os.urandom(size // 2).hex())
    return path


def folder_dataset(path: Path, files: int = 3, size: int = 3000) -> Path:
    path.mkdir()
    for n in range(files):
        (path / f"part{n}.txt").write_text(os.urandom(size // 2).hex())
    return path


def plugin_journal(home: Path) -> list[tuple[str, str, str]]:
    """(rpc, model id, state) of each payment this HOME signed."""
    journal = PaymentJournal(home / ".snet" / "training" / FILE_NAME, network="local", warn=print)
    return [(entry["rpc"], entry["model_id"], entry["state"]) for entry in journal.entries()]


def committed(control) -> list[tuple[str, int]]:
    """(model id, increment) of each payment the double committed."""
    return [(entry["model_id"], entry["increment"]) for entry in control.journal()]


def assert_arrived_whole(control, model_id: str, result: dict, chunk: int, sha256: str | None = None) -> None:
    """The provider side got exactly the bytes the client hashed, all of them, in the chunks announced."""
    upload = control.model(model_id)["uploads"][-1]
    assert upload["complete"] and upload["sha256"] == result["sha256"] == (sha256 or result["sha256"])
    assert upload["size"] == upload["file_size"] == result["size_bytes"]
    assert len(upload["chunks"]) == upload["batch_count"] == -(-result["size_bytes"] // chunk)


@pytest.mark.parametrize(("behaviour", "version", "mode"), WHOLE)
def test_file_and_folder_uploads_arrive_whole_and_are_paid_once(stack, home, control, behave, tmp_path, behaviour,
                                                                version, mode):
    behave(behaviour)
    model_id = create_model(home, stack, behaviour)["model_id"]
    archive = zip_dataset(tmp_path / "data.zip", 20_000)
    folder = folder_dataset(tmp_path / "folder")
    cases = [(archive, 4_000_000), (archive, 8192), (folder, 4_000_000), (folder, 2048)]
    for path, chunk in cases:
        # the same dataset again, on purpose: --pay-again (an upload already paid for is refused otherwise)
        result = ok_json(training(home, "upload", model_id, str(path), "--chunk-size", str(chunk), "-y", "--pay-again"))
        assert (result["paid"], result["upload_mode"], result["daemon_version"]) == (True, mode, version)
        whole = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
        assert_arrived_whole(control, model_id, result, chunk, whole)
    assert committed(control) == [(model_id, VALIDATE_PRICE)] * len(cases)
    assert plugin_journal(home) == [("upload_and_validate", model_id, "reported")] * len(cases)
    assert control.behaviour()["crashes"] == []


def test_an_official_v6_2_build_is_refused_before_anything_is_signed(stack, home, control, behave, tmp_path):
    behave("v6.2")
    model_id = create_model(home, stack, "v6.2")["model_id"]
    archive = zip_dataset(tmp_path / "data.zip", 20_000)
    for extra in ((), ("--dry-run",)):
        error = failed(training(home, "upload", model_id, str(archive), "-y", *extra))
        assert "(snet-daemon v6.2.3) fails every upload" in error and "nothing was signed or paid" in error
        assert f"snet training validate {model_id} --link URL" in error and "ask the service provider" in error
    assert control.model(model_id)["validate_price"] == 0, "not even the price was asked"
    assert plugin_journal(home) == [] and control.journal() == [] and control.model(model_id)["uploads"] == []


@pytest.mark.parametrize("claimed", ["", "dev", "6.1.0"])
def test_v6_2_claiming_an_unreliable_version_fails_closed_and_charges_nothing(stack, home, control, behave, tmp_path,
                                                                              claimed):
    behave("v6.2", daemon_version=claimed)
    model_id = create_model(home, stack, "v6.2 unknown")["model_id"]
    archive = zip_dataset(tmp_path / "data.zip", 20_000)
    for mode in ("auto", PLAIN):
        error = failed(training(home, "upload", model_id, str(archive), "-y", "--upload-mode", mode))
        assert f"(snet-daemon v6.1.0 or newer, its heartbeat says version {claimed!r}) fails every upload" in error
        assert "nothing was charged" in error and "--link URL" in error
    assert control.journal() == [] and control.model(model_id)["uploads"] == []
    assert plugin_journal(home) == [("upload_and_validate", model_id, "failed")] * 2


def test_a_canary_the_daemon_reads_itself_is_followed_by_one_plain_upload(stack, home, control, behave, tmp_path):
    behave("v6.0")
    model_id = create_model(home, stack, "canary read")["model_id"]
    archive = zip_dataset(tmp_path / "data.zip", 20_000)
    run = training(home, "upload", model_id, str(archive), "--upload-mode", CANARY, "--chunk-size", "4096", "-y")
    result = ok_json(run)
    assert result["upload_mode"] == PLAIN and "sending the upload again without it" in run.stderr
    assert_arrived_whole(control, model_id, result, 4096, hashlib.sha256(archive.read_bytes()).hexdigest())
    assert len(control.model(model_id)["uploads"]) == 1, "the canary never reached the provider"
    assert committed(control) == [(model_id, VALIDATE_PRICE)]
    assert plugin_journal(home) == [("upload_and_validate", model_id, "reported")]


def test_forcing_a_plain_upload_on_a_dropping_release_is_warned_and_loses_the_first_chunk(stack, home, control, behave,
                                                                                          tmp_path):
    """What --upload-mode auto protects against: v6.1 takes the payment for all but the first message."""
    behave("v6.1")
    model_id = create_model(home, stack, "forced plain")["model_id"]
    archive = zip_dataset(tmp_path / "data.zip", 20_000)
    run = training(home, "upload", model_id, str(archive), "--upload-mode", PLAIN, "--chunk-size", "4096", "-y")
    result = ok_json(run)
    assert "WARNING: --upload-mode plain" in run.stderr and result["upload_mode"] == PLAIN
    upload = control.model(model_id)["uploads"][-1]
    assert upload["size"] == archive.stat().st_size - 4096 and upload["sha256"] != result["sha256"]
    assert committed(control) == [(model_id, VALIDATE_PRICE)]


@pytest.mark.slow(7)
def test_through_snet_a_folder_reaches_v6_1_whole_and_v6_2_is_refused(stack, home, control, behave, tmp_path):
    behave("v6.1")
    model_id = create_model(home, stack, "through snet")["model_id"]
    folder = folder_dataset(tmp_path / "folder")
    result = ok_json(cli.training(home, "upload", model_id, str(folder), "--chunk-size", "2048", "-y"))
    assert (result["upload_mode"], result["daemon_version"]) == (CANARY, "v6.1.0")
    assert_arrived_whole(control, model_id, result, 2048)
    behave("v6.2")
    (folder / "more.txt").write_text("a new dataset, not the one already paid for")
    refused = cli.training(home, "upload", model_id, str(folder), "-y")
    assert refused.returncode == ExitStatus.ERROR and refused.stdout == ""
    assert "fails every upload" in refused.stderr.strip().splitlines()[-1]
    assert committed(control) == [(model_id, VALIDATE_PRICE)]


def test_validating_after_an_upload_is_said_to_be_unconfirmed_and_wait_finds_the_error(stack, home, control, behave,
                                                                                      tmp_path):
    behave("v6.1")
    control.fault(reject_next_dataset=True)
    model_id = create_model(home, stack, "rejected at the end")["model_id"]
    archive = zip_dataset(tmp_path / "data.zip", 20_000)
    run = training(home, "upload", model_id, str(archive), "-y")
    assert ok_json(run)["status"] == "VALIDATING"
    assert "not confirmed yet" in run.stderr and f"snet training wait {model_id}" in run.stderr
    waited = training(home, "wait", model_id, "--interval", "0.2")
    assert waited.returncode == ExitStatus.MODEL_FAILED and json.loads(waited.stdout)["status"] == "ERRORED"
    control.fault(reject_next_dataset=True)
    polled = training(home, "upload", model_id, str(archive), "-y", "--wait", "--interval", "0.2")
    assert polled.returncode == ExitStatus.MODEL_FAILED and json.loads(polled.stdout)["status"] == "ERRORED"
    assert "not confirmed yet" not in polled.stderr


def test_a_dataset_the_daemon_would_hold_in_memory_is_warned_about(stack, home, control, tmp_path, monkeypatch):
    monkeypatch.setattr(preflight, "LARGE_UPLOAD_BYTES", 10_000)
    model_id = create_model(home, stack, "large")["model_id"]
    small = training(home, "upload", model_id, str(zip_dataset(tmp_path / "small.zip", 2_000)), "--dry-run")
    assert small.returncode == 0 and "WARNING" not in small.stderr
    large = training(home, "upload", model_id, str(zip_dataset(tmp_path / "large.zip", 20_000)), "--dry-run")
    assert large.returncode == 0 and "WARNING: the dataset is" in large.stderr
    assert f"snet training validate {model_id} --link URL" in large.stderr


@pytest.mark.parametrize("command", ["upload", "validate"])
def test_a_model_its_daemon_forgot_is_refused_before_paying_and_crashes_nothing(stack, home, control, behave, tmp_path,
                                                                               command):
    model_id = create_model(home, stack, "forgotten")["model_id"]
    control.reset()  # the daemon forgets the model; the local store still knows it
    behave("v6.1")
    args = [str(zip_dataset(tmp_path / "data.zip", 2_000))] if command == "upload" else ["--link", LINK]
    error = failed(training(home, command, model_id, *args, "-y"))
    assert "not found" in error
    assert control.journal() == [] and plugin_journal(home) == [] and control.behaviour()["crashes"] == []


def test_an_upload_stream_never_leaves_empty(stack, control, behave):
    """A paid upload with zero messages crashes released daemons: the client cancels instead of ending the stream."""
    behave("v6.1")
    key = stack.client.private_key
    signer = Signer(Account.from_key(key).address, lambda digest: bytes(
        Account.sign_message(encode_defunct(primitive=digest), key).signature))
    w3 = Web3(Web3.HTTPProvider(stack.rpc))
    with DaemonClient(stack.daemon_endpoint, Authorizer(signer, lambda: w3.eth.block_number)) as daemon:
        model_id = daemon.create_model("Echo", "answer", "empty").model_id
        payer = Daemon(stack, stack.daemon_handle, daemon.service_channel())
        for canary in (None, canary_message(model_id, "d.zip", 1, 1, 1)):
            with pytest.raises(errors.UserInputError, match="at least one message"):
                daemon.upload_and_validate(iter(()), payment_metadata=payer.payment(stack.client, 0, model_id),
                                           canary=canary)
    assert control.behaviour()["crashes"] == [] and control.journal() == [] and control.model(model_id)["uploads"] == []
