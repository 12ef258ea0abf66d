"""The paid commands end to end against the local chain and the daemon double.

Commands run in-process (tests/support/harness.py); the full flow, the terminal question, the
progress bar on a pty and the killed uploads run the real `snet` executable.

Every test starts from a reset double (its payment journal holds accepted payments only) and a
private copy of the client's HOME (its model store, signature cache and payment journal).
"""

from __future__ import annotations

import pytest

import json
import os
import pty
import select
import subprocess
import threading
import time
import zipfile
from pathlib import Path


from snet_cli_training.errors import ExitStatus
from snet_cli_training.sandbox import chain, provision
from tests.support import cli
from tests.support.cli import snet_env
from tests.support.harness import create_model, failed, ok_json, run as training
from tests.support.cli import snet_executable

VALIDATE_PRICE, TRAIN_PRICE, CALL_PRICE = 200, 300, 10
LINK = "https://example.com/data.zip"
PAID_KEYS = {"model_id", "rpc", "status", "price_cogs", "price", "token", "channel_id", "nonce", "signed_amount_cogs",
             "paid"}
QUOTE_KEYS = PAID_KEYS - {"status"}


def create(home: Path, stack, name: str = "paid", *extra: str) -> str:
    return create_model(home, stack, name, *extra)["model_id"]


def paid_rpcs(control) -> list[tuple[str, str, int, str]]:
    """The double's accepted payments: (rpc's last segment, model id, increment, payment type)."""
    return [(e["rpc"].rsplit("/", 1)[-1], e["model_id"], e["increment"], e["payment_type"]) for e in control.journal()]


def folder_dataset(path: Path, files: int = 3, size: int = 2000) -> Path:
    path.mkdir()
    for n in range(files):
        (path / f"part{n}.txt").write_bytes(os.urandom(size // 2).hex().encode()[:size])
    return path


def zip_dataset(path: Path, files: int = 2, size: int = 3000) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for n in range(files):
            archive.writestr(f"data/file{n}.txt", os.urandom(size))
    return path


# --- 1. the whole flow --------------------------------------------------------------------------

@pytest.mark.slow(21)
def test_full_flow_pays_each_quoted_price_exactly_once(stack, home, control, tmp_path):
    """The first upload and the call go through the real `snet`, the steps between in-process."""
    model_id = create(home, stack, "full flow")
    folder = folder_dataset(tmp_path / "folder")

    upload = ok_json(cli.training(home, "upload", model_id, str(folder), "-y"))
    assert set(upload) == PAID_KEYS | {"sha256", "size_bytes", "daemon_version", "upload_mode"}
    assert (upload["daemon_version"], upload["upload_mode"]) == ("dev", "plain")
    assert (upload["model_id"], upload["rpc"], upload["status"], upload["paid"]) == (
        model_id, "upload_and_validate", "VALIDATING", True)
    assert (upload["price_cogs"], upload["price"], upload["token"]) == (VALIDATE_PRICE, "0.0000000000000002", "FET")
    assert upload["signed_amount_cogs"] == VALIDATE_PRICE and isinstance(upload["channel_id"], int)
    recorded = control.model(model_id)["uploads"]
    assert len(recorded) == 1 and recorded[0]["complete"]
    assert (upload["sha256"], upload["size_bytes"]) == (recorded[0]["sha256"], recorded[0]["size"])
    assert recorded[0]["file_name"].endswith(".zip")  # the folder was packed into a zip
    assert ok_json(training(home, "wait", model_id, "--interval", "0.2"))["status"] == "VALIDATED"

    archive = zip_dataset(tmp_path / "data.zip")
    again = ok_json(training(home, "upload-and-validate", model_id, str(archive), "-y", "--wait", "--interval", "0.2"))
    assert again["status"] == "VALIDATED" and again["paid"] is True
    assert again["signed_amount_cogs"] == 2 * VALIDATE_PRICE and again["channel_id"] == upload["channel_id"]
    second = control.model(model_id)["uploads"][1]
    assert again["size_bytes"] == archive.stat().st_size == second["size"]
    assert again["sha256"] == second["sha256"]

    price = ok_json(training(home, "train-price", model_id))
    assert price == {"model_id": model_id, "price_cogs": TRAIN_PRICE, "price": "0.0000000000000003", "token": "FET"}
    trained = ok_json(training(home, "train", model_id, "-y"))
    assert set(trained) == PAID_KEYS
    assert (trained["rpc"], trained["status"], trained["price_cogs"], trained["signed_amount_cogs"]) == (
        "train_model", "TRAINING", TRAIN_PRICE, 2 * VALIDATE_PRICE + TRAIN_PRICE)
    assert ok_json(training(home, "wait", model_id, "--interval", "0.2"))["status"] == "READY_TO_USE"

    response = ok_json(cli.training(home, "call", model_id, "answer", '{"text": "hello"}', "-y"))
    assert response == {"text": "hello", "model_id": model_id}

    assert paid_rpcs(control) == [("upload_and_validate", model_id, VALIDATE_PRICE, "train-call"),
                                 ("upload_and_validate", model_id, VALIDATE_PRICE, "train-call"),
                                 ("train_model", model_id, TRAIN_PRICE, "train-call"),
                                 ("answer", model_id, CALL_PRICE, "escrow")]
    amounts = [e["amount"] for e in control.journal()]
    assert amounts == [200, 400, 700, 710]


# --- 2. refusals pay nothing --------------------------------------------------------------------

def test_refusals_before_paying_pay_nothing(stack, home, home2, control, tmp_path):
    model_id = create(home, stack, "refusals", "--public")
    folder = folder_dataset(tmp_path / "ok")

    over = training(home, "upload", model_id, str(folder), "--max-price", "199", "-y")
    assert over.returncode == ExitStatus.NOT_CONFIRMED, over.stderr
    quote = json.loads(over.stdout)
    assert set(quote) == QUOTE_KEYS and quote["paid"] is False and quote["price_cogs"] == VALIDATE_PRICE
    assert "--max-price" in over.stderr
    assert control.journal() == []

    no_terminal = training(home, "upload", model_id, str(folder))
    assert no_terminal.returncode == ExitStatus.NOT_CONFIRMED and "no terminal" in no_terminal.stderr
    assert json.loads(no_terminal.stdout)["paid"] is False
    assert control.journal() == []

    dry = ok_json(training(home, "upload", model_id, str(folder), "--dry-run"))
    assert dry["paid"] is False and dry["price_cogs"] == VALIDATE_PRICE and "sha256" not in dry
    dry_over = training(home, "validate", model_id, "--link", LINK, "--dry-run", "--max-price", "10")
    assert dry_over.returncode == ExitStatus.NOT_CONFIRMED and json.loads(dry_over.stdout)["paid"] is False
    assert control.journal() == [] and control.model(model_id)["uploads"] == []

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.txt").write_text("fine")
    (bad / "photo.jpg").write_bytes(b"jpg")
    other = create(home, stack, "rejected")
    rejected = training(home, "upload", other, str(bad), "-y")
    assert rejected.returncode == ExitStatus.DATASET_REJECTED
    report = json.loads(rejected.stdout)
    assert report["ok"] is False and [v["code"] for v in report["violations"]] == ["wrong_file_type"]
    assert control.model(other)["validate_price"] == 0  # the price RPC never ran
    text = training(home, "upload", other, str(bad), "-y", json_output=False)
    assert text.returncode == ExitStatus.DATASET_REJECTED and "Dataset check failed:" in text.stdout
    assert "\tWrong file type: `jpg` in file: `photo.jpg`" in text.stdout

    created = failed(training(home, "train", model_id, "-y"))
    assert "CREATED" in created and "nothing was paid" in created
    control.set_status(model_id, "VALIDATED")
    stranger = failed(training(home2, "train", model_id, "-y", "--org", stack.org_id, "--service", stack.service_id))
    assert "creator" in stranger and "nothing was paid" in stranger
    train_dry = ok_json(training(home, "train", model_id, "--dry-run"))
    assert (train_dry["paid"], train_dry["price_cogs"], train_dry["status"]) == (False, TRAIN_PRICE, "VALIDATED")
    assert control.journal() == []


def test_an_identity_without_a_channel_is_told_how_to_open_one(stack, control, tmp_path):
    role = "spare2"  # funded with ether in the genesis, no tokens, no channel
    spare = tmp_path / "spare"
    network = provision.Network(rpc=stack.rpc, ipfs_port=stack.ipfs_port, registry=stack.registry_address,
                                mpe=stack.mpe_address, token=stack.token_address,
                                daemon_endpoint=stack.daemon_endpoint)
    provision.write_home(spare, network, role, chain.dev_private_key(role))
    model_id = create(spare, stack, "no channel")
    error = failed(training(spare, "validate", model_id, "--link", LINK, "-y"))
    assert "no payment channel" in error and "`snet channel open testorg default_group " in error
    dry = failed(training(spare, "validate", model_id, "--link", LINK, "--dry-run"))
    assert "snet channel open" in dry
    assert control.journal() == []

    stack.fund_escrow(chain.dev_private_key(role), 10**6)
    would = ok_json(training(spare, "validate", model_id, "--link", LINK, "--open-channel", "--dry-run"))
    assert (would["paid"], would["channel_id"]) == (False, None)
    assert would["channel_action"].startswith("snet channel open testorg default_group ")
    over = training(spare, "validate", model_id, "--link", LINK, "--open-channel", "--dry-run", "--max-price", "1")
    assert over.returncode == ExitStatus.NOT_CONFIRMED and json.loads(over.stdout)["paid"] is False
    refused = training(spare, "validate", model_id, "--link", LINK, "--open-channel")
    assert refused.returncode == ExitStatus.NOT_CONFIRMED and control.journal() == []  # no terminal, no -y: no channel
    opened = ok_json(training(spare, "validate", model_id, "--link", LINK, "--open-channel", "-y"))
    assert opened["paid"] is True and opened["signed_amount_cogs"] == VALIDATE_PRICE
    assert [(e["channel_id"], e["increment"]) for e in control.journal()] == [(opened["channel_id"], VALIDATE_PRICE)]


# --- 3. a terminal --------------------------------------------------------------------------------

def _on_terminal(home: Path, args: list[str], answer: str, timeout: float = 60) -> tuple[int, str, str]:
    """Run snet with a pty as stdin and stderr (stdout a pipe); answer the question; (exit, stdout, terminal)."""
    master, slave = pty.openpty()
    process = subprocess.Popen([snet_executable(), "training", *args], env=snet_env(home), cwd=str(home), stdin=slave,
                               stderr=slave, stdout=subprocess.PIPE, text=True, start_new_session=True)
    os.close(slave)
    seen, answered, deadline = b"", False, time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    data = os.read(master, 4096)
                except OSError:  # EIO: the process closed the terminal
                    break
                if not data:
                    break
                seen += data
            if not answered and b"?" in seen.split(b"Pay ", 1)[-1] and b"Pay " in seen:
                os.write(master, answer.encode() + b"\n")
                answered = True
            if process.poll() is not None and not ready:
                break
        out, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)
    return process.returncode, out, seen.decode(errors="replace")


@pytest.mark.slow(6)
def test_the_question_is_asked_on_the_terminal(stack, home, control):
    model_id = create(home, stack, "terminal")
    code, out, terminal = _on_terminal(home, ["validate", model_id, "--link", LINK, "--json"], "n")
    question = (f"Pay {VALIDATE_PRICE} cogs (0.0000000000000002 FET) to {stack.org_id}/{stack.service_id} "
                f'for validating the data at {LINK} (model "terminal")? [y/N]')
    assert question in terminal
    assert code == ExitStatus.NOT_CONFIRMED, terminal
    assert json.loads(out)["paid"] is False
    assert control.journal() == []

    code, out, terminal = _on_terminal(home, ["validate", model_id, "--link", LINK, "--json"], "y")
    assert code == 0, terminal
    assert json.loads(out)["paid"] is True and "Traceback" not in terminal
    assert paid_rpcs(control) == [("validate_model", model_id, VALIDATE_PRICE, "train-call")]


def test_an_upload_on_a_terminal_shows_progress_on_stderr_only(stack, home, control, tmp_path):
    model_id = create(home, stack, "progress")
    archive = zip_dataset(tmp_path / "progress.zip", files=4, size=200_000)
    code, out, terminal = _on_terminal(home, ["upload", model_id, str(archive), "--chunk-size", "65536", "--json"], "y")
    assert code == 0, terminal
    assert "upload progress.zip" in terminal and "100%" in terminal and "B/s" in terminal  # tqdm: rate, on the terminal
    assert json.loads(out)["size_bytes"] == archive.stat().st_size  # stdout holds the JSON document and nothing else
    assert paid_rpcs(control) == [("upload_and_validate", model_id, VALIDATE_PRICE, "train-call")]


# --- 4. a long upload -----------------------------------------------------------------------------

@pytest.mark.slow(7)
def test_an_upload_across_many_blocks_is_re_signed_and_paid_once(stack, home, control, tmp_path):
    """Blocks keep coming while the daemon reads the stream, as on a real chain (here one every 0.5 s).

    The upload spans far more than the 5-block window of one authorization (where the SDK's
    single signature fails); ours re-signs chunk by chunk and goes through, paid once. The
    limit that remains: a chunk must reach the daemon within 5 blocks of being signed, and
    gRPC signs (pulls) chunks as far ahead as its send buffers allow (about 1 MB here).
    """
    model_id = create(home, stack, "long upload")
    archive = zip_dataset(tmp_path / "big.zip", files=12, size=256 * 1024)
    chunks = -(-archive.stat().st_size // 65536)
    control.fault(stall_per_chunk=0.1)
    first_block = stack.block_number()
    stop = threading.Event()

    def mine_on_a_clock() -> None:
        while not stop.wait(0.5):
            stack.mine(1)

    miner = threading.Thread(target=mine_on_a_clock, daemon=True)
    miner.start()
    try:
        result = ok_json(training(home, "upload", model_id, str(archive), "--chunk-size", "65536", "-y"))
    finally:
        stop.set()
        miner.join()
    upload = control.model(model_id)["uploads"][0]
    assert upload["complete"] and len(upload["chunks"]) == chunks
    assert upload["chunks"][-1]["latest_block"] - first_block > 5  # the stream outlived one authorization
    assert upload["chunks"][-1]["auth_block"] - upload["chunks"][0]["auth_block"] > 5  # re-signed on the way
    assert (result["sha256"], result["size_bytes"]) == (upload["sha256"], archive.stat().st_size)
    assert paid_rpcs(control) == [("upload_and_validate", model_id, VALIDATE_PRICE, "train-call")]


# --- 5. faults ------------------------------------------------------------------------------------

def test_a_dropped_stream_costs_nothing_and_a_rerun_pays_once(stack, home, control, tmp_path):
    model_id = create(home, stack, "dropped")
    archive = zip_dataset(tmp_path / "data.zip", files=4, size=40_000)
    control.fault(drop_stream_after=2)
    error = failed(training(home, "upload", model_id, str(archive), "--chunk-size", "32768", "-y"))
    assert control.journal() == []
    assert "unreachable" in error and "try again later" in error, error
    result = ok_json(training(home, "upload", model_id, str(archive), "--chunk-size", "32768", "-y"))
    assert result["paid"] is True and result["signed_amount_cogs"] == VALIDATE_PRICE
    assert paid_rpcs(control) == [("upload_and_validate", model_id, VALIDATE_PRICE, "train-call")]


def test_an_unavailable_daemon_costs_nothing_and_a_rerun_pays_once(stack, home, control, tmp_path):
    model_id = create(home, stack, "unavailable")
    archive = zip_dataset(tmp_path / "data.zip")
    control.fault(unavailable_once="upload_and_validate")
    error = failed(training(home, "upload", model_id, str(archive), "-y"))
    assert "unavailable" in error.lower() or "try again" in error.lower(), error
    assert control.journal() == []
    assert ok_json(training(home, "upload", model_id, str(archive), "-y"))["paid"] is True
    assert paid_rpcs(control) == [("upload_and_validate", model_id, VALIDATE_PRICE, "train-call")]


def _upload_process(home: Path, model_id: str, archive: Path) -> subprocess.Popen:
    return subprocess.Popen([snet_executable(), "training", "upload", model_id, str(archive), "--chunk-size", "32768",
                             "-y", "--json"], env=snet_env(home), cwd=str(home), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _until(predicate, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.mark.slow(5)
def test_an_upload_killed_mid_stream_is_paid_once_by_the_rerun(stack, home, control, tmp_path):
    model_id = create(home, stack, "killed")
    archive = zip_dataset(tmp_path / "data.zip", files=4, size=40_000)
    control.fault(stall_per_chunk=1)
    process = _upload_process(home, model_id, archive)
    _until(lambda: any(u["chunks"] for u in control.model(model_id)["uploads"]))
    process.kill()
    process.communicate(timeout=30)
    time.sleep(1.5)  # the double notices the broken stream after its current chunk and rolls back
    assert control.journal() == []
    assert not control.model(model_id)["uploads"][0]["complete"]
    control.fault(clear=True)
    rerun = training(home, "upload", model_id, str(archive), "--chunk-size", "32768", "-y")
    assert ok_json(rerun)["paid"] is True
    assert paid_rpcs(control) == [("upload_and_validate", model_id, VALIDATE_PRICE, "train-call")]


def test_an_upload_killed_after_the_daemon_accepted_it_is_not_paid_again(stack, home, control, tmp_path):
    model_id = create(home, stack, "answer lost")
    archive = zip_dataset(tmp_path / "data.zip")
    control.fault(stall_after_commit={"upload_and_validate": 20})
    process = _upload_process(home, model_id, archive)
    _until(lambda: control.journal() != [])
    process.kill()
    process.communicate(timeout=30)
    control.fault(clear=True)
    rerun = training(home, "upload", model_id, str(archive), "-y")
    document = ok_json(rerun)
    assert document["paid"] is False and "already paid" in rerun.stderr and "--pay-again" in rerun.stderr
    assert paid_rpcs(control) == [("upload_and_validate", model_id, VALIDATE_PRICE, "train-call")]


# --- 6. validate --link ---------------------------------------------------------------------------

def test_validate_a_link_pays_the_validate_price_once(stack, home, control):
    model_id = create(home, stack, "link")
    assert ok_json(training(home, "validate-price", model_id))["price_cogs"] == VALIDATE_PRICE
    result = ok_json(training(home, "validate", model_id, "--link", LINK, "-y", "--wait", "--interval", "0.2"))
    assert set(result) == PAID_KEYS
    assert (result["rpc"], result["status"], result["paid"], result["price_cogs"]) == (
        "validate_model", "VALIDATED", True, VALIDATE_PRICE)
    assert control.model(model_id)["training_data_link"] == LINK
    assert paid_rpcs(control) == [("validate_model", model_id, VALIDATE_PRICE, "train-call")]


# --- 7. wait --------------------------------------------------------------------------------------

def test_wait_exit_codes(stack, home, control):
    created = create(home, stack, "created")
    assert "CREATED" in failed(training(home, "wait", created))

    control.fault(reject_next_dataset=True)
    rejected = create(home, stack, "rejected")
    ok_json(training(home, "validate", rejected, "--link", LINK, "-y"))
    errored = training(home, "wait", rejected, "--interval", "0.2")
    assert errored.returncode == ExitStatus.MODEL_FAILED and json.loads(errored.stdout)["status"] == "ERRORED"

    control.configure(validate_seconds=30)
    slow = create(home, stack, "slow")
    ok_json(training(home, "validate", slow, "--link", LINK, "-y"))
    started = time.monotonic()
    timed_out = training(home, "wait", slow, "--timeout", "2", "--interval", "0.5")
    assert timed_out.returncode == ExitStatus.TIMED_OUT and json.loads(timed_out.stdout)["status"] == "VALIDATING"
    assert time.monotonic() - started < 15

    control.set_status(slow, "VALIDATED")
    started = time.monotonic()
    done = ok_json(training(home, "wait", slow, "--interval", "5"))
    assert done["status"] == "VALIDATED" and done["model_id"] == slow
    assert time.monotonic() - started < 5
    assert [rpc for rpc, *_ in paid_rpcs(control)] == ["validate_model", "validate_model"]


# --- 8. call --------------------------------------------------------------------------------------

def test_call_refusals_and_params_from_a_file(stack, home, control, tmp_path):
    model_id = create(home, stack, "call")
    not_ready = failed(training(home, "call", model_id, "answer", '{"text": "hi"}', "-y"))
    assert "READY_TO_USE" in not_ready and "nothing was paid" in not_ready
    control.set_status(model_id, "READY_TO_USE")
    sets_model = failed(training(home, "call", model_id, "answer", json.dumps({"model_id": {"model_id": "x"}}), "-y"))
    assert "model_id" in sets_model
    over = training(home, "call", model_id, "answer", '{"text": "hi"}', "--max-price", "9", "-y")
    assert over.returncode == ExitStatus.NOT_CONFIRMED and json.loads(over.stdout)["paid"] is False
    assert control.journal() == []

    params = tmp_path / "params.json"
    params.write_text(json.dumps({"text": "from a file"}))
    assert ok_json(training(home, "call", model_id, "answer", str(params), "-y")) == {
        "text": "from a file", "model_id": model_id}
    text = training(home, "call", model_id, "answer", str(params), "-y", json_output=False)
    assert text.returncode == 0 and 'text: "from a file"' in text.stdout
    assert paid_rpcs(control) == [("answer", model_id, CALL_PRICE, "escrow")] * 2
