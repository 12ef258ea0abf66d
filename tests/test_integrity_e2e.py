"""A lying daemon, a broken local file or an interruption never costs money twice, hangs or crashes (in-process).

Each test is one finding of the robustness sweep; the daemon double's journal holds the payments it
accepted, the client's journal (payments.json) what it signed.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import time
import zipfile
from concurrent import futures
from pathlib import Path

import grpc
import pytest

from snet_cli_training.daemon import protocol
from snet_cli_training.errors import ExitStatus
from tests.support.cli import snet_env, snet_executable
from tests.support.harness import create_model, failed, ok_json, run as training

LINK = "https://example.com/data.zip"
VALIDATE_PRICE = 200


def _increments(control) -> list[tuple[str, int]]:
    return [(e["rpc"].rsplit("/", 1)[-1], e["increment"]) for e in control.journal()]


def _journal_path(home: Path) -> Path:
    return home / ".snet" / "training" / "payments.json"


def _zip(path: Path, content: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data/a.txt", content)
    return path


class _Interrupting:
    """A sleep that is Ctrl-C: the first pause of a wait is interrupted."""

    def __call__(self, _seconds: float) -> None:
        raise KeyboardInterrupt


# --- money -----------------------------------------------------------------------------------------------------

class _LyingProxy:
    """A gRPC proxy to the double that adds 10^9 cogs to the signed amount GetChannelState reports."""

    def __init__(self, target: str) -> None:
        self.channel = grpc.insecure_channel(target)
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        self.server.add_generic_rpc_handlers([self])
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()

    def service(self, details):
        forward = self.channel.unary_unary(details.method)

        def handle(request: bytes, context):
            try:
                reply = forward(request, metadata=context.invocation_metadata(), timeout=10)
            except grpc.RpcError as exc:
                context.abort(exc.code(), exc.details())
            if details.method.endswith("/GetChannelState"):
                message = protocol.messages().ChannelStateReply.FromString(reply)
                amount = int.from_bytes(message.current_signed_amount, "big") + 10**9
                message.current_signed_amount = amount.to_bytes(32, "big")
                reply = message.SerializeToString()
            return reply

        return grpc.unary_unary_rpc_method_handler(handle)

    def stop(self) -> None:
        self.server.stop(None)
        self.channel.close()


def test_a_channel_state_the_identity_never_signed_is_refused_before_signing(stack, home, control):
    model_id = create_model(home, stack, "lied to")["model_id"]
    proxy = _LyingProxy(stack.daemon_endpoint.split("://", 1)[1])
    try:
        error = failed(training(home, "validate", model_id, "--link", LINK, "-y",
                                "--endpoint", f"http://127.0.0.1:{proxy.port}"))
    finally:
        proxy.stop()
    assert "never signed" in error and "nothing was signed" in error
    assert control.journal() == [] and not _journal_path(home).exists()


def test_an_upload_interrupted_while_waiting_is_not_paid_again(stack, home, control, tmp_path):
    model_id = create_model(home, stack, "interrupted wait")["model_id"]
    archive = _zip(tmp_path / "data.zip", b"once")
    control.configure(validate_seconds=3)
    interrupted = training(home, "upload", model_id, str(archive), "-y", "--wait", sleep=_Interrupting())
    assert interrupted.returncode == ExitStatus.INTERRUPTED and interrupted.stdout == ""
    assert f"interrupted after the daemon accepted {VALIDATE_PRICE} cogs for the upload of model {model_id}" in \
        interrupted.stderr and f"snet training wait {model_id}" in interrupted.stderr
    control.configure(validate_seconds=0.2)
    rerun = training(home, "upload", model_id, str(archive), "-y", "--wait", "--interval", "0.1")
    document = ok_json(rerun)
    assert document["paid"] is False and document["status"] == "VALIDATED" and "not paying again" in rerun.stderr
    assert _increments(control) == [("upload_and_validate", VALIDATE_PRICE)]
    # reported now: the same file again is refused (exit 6 with the quote), a changed one is paid
    again = training(home, "upload", model_id, str(archive), "-y")
    assert again.returncode == ExitStatus.NOT_CONFIRMED and json.loads(again.stdout)["paid"] is False
    assert "--pay-again" in again.stderr
    ok_json(training(home, "upload", model_id, str(_zip(tmp_path / "other.zip", b"twice")), "-y"))
    assert _increments(control) == [("upload_and_validate", VALIDATE_PRICE)] * 2


def test_a_store_that_cannot_be_written_after_paying_says_paid_and_the_rerun_does_not_pay(stack, home, control,
                                                                                          monkeypatch):
    model_id = create_model(home, stack, "store broken")["model_id"]
    lock = home / ".snet" / "training" / ".models.json.lock"
    from snet_cli_training.commands.context import Context

    def record_status(ctx, known, status):  # the store's lock turns unusable once the daemon has accepted the payment
        lock.unlink(missing_ok=True)
        lock.mkdir()
        return original(ctx, known, status)

    original = Context.remember_status
    monkeypatch.setattr(Context, "remember_status", record_status)
    broken = training(home, "validate", model_id, "--link", LINK, "-y")
    monkeypatch.undo()
    assert broken.returncode == ExitStatus.ERROR
    line = broken.stderr.strip().splitlines()[-1]
    assert line.startswith(f"ERROR: paid {VALIDATE_PRICE} cogs for validation of model {model_id}") and \
        "could not be recorded locally" in line and "internal error" not in broken.stderr
    assert json.loads(broken.stdout)["paid"] is True  # --json still says the payment went through
    lock.rmdir()
    rerun = training(home, "validate", model_id, "--link", LINK, "-y")
    assert ok_json(rerun)["paid"] is False and "not paying again" in rerun.stderr
    assert _increments(control) == [("validate_model", VALIDATE_PRICE)]


def test_a_store_that_cannot_be_written_before_paying_stops_before_paying(stack, home, control):
    model_id = create_model(home, stack, "store broken early")["model_id"]
    lock = home / ".snet" / "training" / ".models.json.lock"
    lock.unlink(missing_ok=True)
    lock.mkdir()
    error = failed(training(home, "validate", model_id, "--link", LINK, "-y"))
    assert "cannot lock" in error and control.journal() == []


def test_a_group_writable_journal_is_repaired_not_discarded(stack, home, control):
    model_id = create_model(home, stack, "cp -r")["model_id"]
    ok_json(training(home, "validate", model_id, "--link", LINK, "-y"))
    journal = _journal_path(home)
    document = json.loads(journal.read_text())
    document["entries"][0]["state"] = "signed"  # as if the answer had been lost
    journal.write_text(json.dumps(document))
    os.chmod(journal, 0o664)
    rerun = training(home, "validate", model_id, "--link", LINK, "-y")
    assert ok_json(rerun)["paid"] is False and "not paying again" in rerun.stderr
    assert "0600" in rerun.stderr and journal.stat().st_mode & 0o777 == 0o600
    assert _increments(control) == [("validate_model", VALIDATE_PRICE)]


@pytest.mark.parametrize("entry_change", [{"amount": -1}, {"nonce": "0"}, {"state": "maybe"}])
def test_a_journal_with_a_bad_entry_stops_paying_until_pay_again(stack, home, control, entry_change):
    model_id = create_model(home, stack, "bad entry")["model_id"]
    ok_json(training(home, "validate", model_id, "--link", LINK, "-y"))
    journal = _journal_path(home)
    document = json.loads(journal.read_text())
    document["entries"][0].update(entry_change)
    journal.write_text(json.dumps(document))
    before = journal.read_bytes()
    refused = failed(training(home, "validate", model_id, "--link", "https://example.com/other.zip", "-y"))
    assert str(journal) in refused and "--pay-again" in refused and "nothing was paid" in refused
    assert journal.read_bytes() == before and _increments(control) == [("validate_model", VALIDATE_PRICE)]
    paid = training(home, "validate", model_id, "--link", "https://example.com/other.zip", "-y", "--pay-again")
    assert ok_json(paid)["paid"] is True and "moved to" in paid.stderr
    assert [p.read_bytes() for p in journal.parent.glob("payments.json.unreadable-*")] == [before]


class _InterruptedAfterWriting(io.StringIO):
    """A stdout that is Ctrl-C'd the moment the result is written."""

    def write(self, text: str) -> int:
        written = super().write(text)
        os.kill(os.getpid(), signal.SIGINT)
        return written


def test_ctrl_c_after_the_result_is_printed_does_not_turn_it_into_a_failure(stack, home, control):
    model_id = create_model(home, stack, "late ctrl-c")["model_id"]
    result = training(home, "validate", model_id, "--link", LINK, "-y", stdout=_InterruptedAfterWriting())
    assert result.returncode == 0 and json.loads(result.stdout)["paid"] is True
    assert [e["state"] for e in json.loads(_journal_path(home).read_text())["entries"]] == ["reported"]


def test_new_work_after_a_lost_answer_is_paid_for_and_sent(stack, home, control, tmp_path):
    model_id = create_model(home, stack, "new dataset")["model_id"]
    first = _zip(tmp_path / "first.zip", b"first")
    control.configure(validate_seconds=3)
    training(home, "upload", model_id, str(first), "-y", "--wait", sleep=_Interrupting())
    control.configure(validate_seconds=0.2)
    second = _zip(tmp_path / "second.zip", b"second dataset")
    result = ok_json(training(home, "upload", model_id, str(second), "-y", "--pay-again"))
    assert result["paid"] is True and control.model(model_id)["uploads"][-1]["sha256"] == result["sha256"]
    assert _increments(control) == [("upload_and_validate", VALIDATE_PRICE)] * 2


def test_a_call_with_new_params_after_an_interrupted_call_is_a_new_call(stack, home, control, monkeypatch):
    model_id = create_model(home, stack, "calls")["model_id"]
    control.set_status(model_id, "READY_TO_USE")
    ok_json(training(home, "call", model_id, "answer", '{"text": "one"}', "-y"))
    journal = _journal_path(home)
    document = json.loads(journal.read_text())
    document["entries"][-1]["state"] = "accepted"  # the first call's answer never reached its command
    journal.write_text(json.dumps(document))
    same = training(home, "call", model_id, "answer", '{"text": "one"}', "-y")
    assert same.returncode == 0 and json.loads(same.stdout)["paid"] is False and "not paying again" in same.stderr
    assert ok_json(training(home, "call", model_id, "answer", '{"text": "two"}', "-y")) == {
        "text": "two", "model_id": model_id}
    assert _increments(control) == [("answer", 10), ("answer", 10)]


# --- hangs and crashes ------------------------------------------------------------------------------------------

def test_json_nested_100000_deep_is_an_error_not_a_segfault(stack, home, control, tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    metadata = tmp_path / "deep.json"
    metadata.write_text(deep)
    dataset = _zip(tmp_path / "d.zip", b"x")
    assert "nests 100000 levels deep" in failed(training(home, "check-dataset", str(dataset), "--metadata", str(metadata)))
    model_id = create_model(home, stack, "deep params")["model_id"]
    control.set_status(model_id, "READY_TO_USE")
    assert "nests" in failed(training(home, "call", model_id, "answer", deep, "-y"))
    store = home / ".snet" / "training" / "models.json"
    store.write_text(deep)
    listed = training(home, "models")
    assert ok_json(listed) == [] and "nests" in listed.stderr


def test_a_fifo_state_file_never_hangs(stack, home):
    store = home / ".snet" / "training" / "models.json"
    store.parent.mkdir(mode=0o700, exist_ok=True)
    store.unlink(missing_ok=True)
    os.mkfifo(store)
    started = time.monotonic()
    listed = training(home, "models")
    assert ok_json(listed) == [] and "not a regular file" in listed.stderr
    assert time.monotonic() - started < 5


def test_list_all_stops_when_the_daemon_ignores_paging(stack, home, control):
    ids = [create_model(home, stack, f"paged {n}")["model_id"] for n in range(3)]
    control.configure(ignore_paging=True)
    started = time.monotonic()
    listed = ok_json(training(home, "list-models", stack.org_id, stack.service_id, "--all", "--page-size", "2"))
    assert [m["model_id"] for m in listed] == ids[:2] and time.monotonic() - started < 10


def test_wait_keeps_to_its_timeout_when_the_daemon_stalls(stack, home, control):
    model_id = create_model(home, stack, "stalled wait")["model_id"]
    control.set_status(model_id, "VALIDATING")
    control.fault(stall={"get_model": 20})
    started = time.monotonic()
    result = training(home, "wait", model_id, "--timeout", "2", "--interval", "0.5")
    assert result.returncode == ExitStatus.TIMED_OUT and time.monotonic() - started < 6
    assert json.loads(result.stdout)["model_id"] == model_id


def test_ctrl_c_while_snet_cli_imports_is_quiet(stack, home):
    process = subprocess.Popen([snet_executable(), "training", "metadata", stack.org_id, stack.service_id],
                               env=snet_env(home), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)  # snet-cli's imports take over a second
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == ExitStatus.INTERRUPTED and "Traceback" not in err and out == ""
    assert err.strip().endswith("ERROR: interrupted")


def test_a_plugin_folder_that_is_a_file_is_a_clear_error(stack, home):
    folder = home / ".snet" / "training"
    if folder.exists():
        for child in folder.iterdir():
            child.unlink()
        folder.rmdir()
    folder.write_text("not a folder")
    error = failed(training(home, "create-model", stack.org_id, stack.service_id, "--name", "nowhere to store"))
    assert str(folder) in error and "internal error" not in error


def test_a_refused_deletion_prints_its_document(stack, home):
    model = create_model(home, stack, "keep me")
    refused = training(home, "delete-model", model["model_id"])
    assert refused.returncode == ExitStatus.NOT_CONFIRMED
    assert json.loads(refused.stdout) == {"model_id": model["model_id"], "status": "CREATED"}
