"""Proof that the daemon double is faithful: the official clients drive it as they drive snet-daemon.

snet-sdk 6.0.0 (in a child process, see tests/support/sdk_client.py) runs the whole training
flow and the failures docs/protocol.md documents; the real `snet client call` pays an inference
call with a trained model.  The double's payment journal must show exactly what was paid.
"""

from __future__ import annotations

import json
import os
import time
import zipfile
from pathlib import Path

import pytest

from tests.support.sdk_client import SdkError, SdkWorker

DAEMON = "training.Daemon/"
ANSWER = "example.Echo/answer"
EXPIRED = "authentication failed as the signature passed has expired"

pytestmark = pytest.mark.xdist_group("sdk_workers")  # the SDK's worker processes start once per module, on one worker


@pytest.fixture(scope="module")
def sdk(stack):
    worker = SdkWorker(stack, stack.client)
    yield worker
    worker.close()


@pytest.fixture(scope="module")
def sdk2(stack):
    worker = SdkWorker(stack, stack.client2)
    yield worker
    worker.close()


def dataset(path: Path, sizes: dict[str, int] | None = None) -> Path:
    """A zip the SDK's own check accepts: only txt/png/mp3 files, stored (sizes in bytes)."""
    sizes = sizes or {"notes.txt": 64, "picture.png": 128, "sound.mp3": 256}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, size in sizes.items():
            archive.writestr(name, os.urandom(size))
    return path


def wait_for_status(sdk: SdkWorker, model_id: str, status: str, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        model = sdk.training("get_model", model_id=model_id)
        if model["status"] == status or time.monotonic() > deadline:
            assert model["status"] == status, model
            return model
        time.sleep(0.1)


def sdk_failure(call, *args, **kwargs) -> SdkError:
    with pytest.raises(SdkError) as caught:
        call(*args, **kwargs)
    return caught.value


def payments(control) -> list[tuple]:
    return [(e["rpc"], e["increment"], e["model_id"], e["payment_type"]) for e in control.journal()]


def create(sdk: SdkWorker, name: str = "model", **kwargs) -> str:
    return sdk.training("create_model", method_name="answer", model_name=name, **kwargs)["model_id"]


@pytest.mark.slow(13)
def test_the_sdk_runs_the_whole_training_flow_and_pays_each_price_once(stack, control, sdk, tmp_path):
    client = stack.client.address.lower()
    assert sdk.training("get_training_metadata") == {
        "training_enabled": True, "training_in_proto": True, "training_methods": {"Echo": ["answer"]}}
    limits = sdk.training("get_method_metadata", method_name="answer")
    assert (limits["dataset_max_size_mb"], limits["dataset_files_type"], limits["max_models_per_user"]) == (
        10, "png, mp3, txt", 5)

    created = sdk.training("create_model", method_name="answer", model_name="sdk-flow",
                           model_description="made by snet-sdk")
    model_id = created["model_id"]
    assert {k: created[k] for k in ("status", "name", "description", "grpc_service_name", "grpc_method_name",
                                    "is_public", "created_by_address", "address_list")} == {
        "status": "CREATED", "name": "sdk-flow", "description": "made by snet-sdk", "grpc_service_name": "Echo",
        "grpc_method_name": "answer", "is_public": False, "created_by_address": client, "address_list": [client]}
    assert sdk.training("get_method_metadata", method_name="", model_id=model_id) == limits
    assert [m["model_id"] for m in sdk.training("get_all_models")] == [model_id]
    assert sdk.training("get_model", model_id=model_id) == created
    updated = sdk.training("update_model", model_id=model_id, model_name="renamed", description="new text")
    assert (updated["model_id"], updated["name"], updated["description"]) == (model_id, "renamed", "new text")

    validate_price = sdk.training("validate_model_price", model_id=model_id)
    assert validate_price == 200
    assert sdk.upload(model_id, dataset(tmp_path / "data.zip"), validate_price) == "VALIDATING"
    wait_for_status(sdk, model_id, "VALIDATED")
    [upload] = control.model(model_id)["uploads"]
    assert (upload["file_name"], upload["complete"], len(upload["chunks"])) == ("data.zip", True, 1)

    train_price = sdk.training("train_model_price", model_id=model_id)
    assert train_price == 300
    assert sdk.training("train_model", model_id=model_id, price=train_price) == "TRAINING"
    assert wait_for_status(sdk, model_id, "READY_TO_USE")["name"] == "renamed"

    spare = create(sdk, "to-delete")
    assert sdk.training("delete_model", model_id=spare) == "DELETED"
    # A deleted private model leaves every index, its creator's included (docs/protocol.md#delete_model).
    error = sdk_failure(sdk.training, "get_model", model_id=spare)
    assert (error.type, error.details) == (
        "NoSuchModelError", f"unable to access model: user {stack.client.address}, does not have access to "
                            f"model Id {spare}")
    assert [m["model_id"] for m in sdk.training("get_all_models")] == [model_id]

    answer = sdk.call("answer", "Query", model_id=model_id, text="hi")
    assert answer == {"text": "hi", "model_id": model_id}

    price = stack.daemon_config.price_in_cogs
    assert payments(control) == [
        (DAEMON + "upload_and_validate", validate_price, model_id, "train-call"),
        (DAEMON + "train_model", train_price, model_id, "train-call"),
        (ANSWER, price, model_id, "escrow")]
    amounts = [e["amount"] for e in control.journal()]
    assert amounts == [validate_price, validate_price + train_price, validate_price + train_price + price]


def test_snet_client_call_uses_a_ready_model_and_pays_once(stack, control, sdk, snet):
    model_id = create(sdk, "for-snet")
    control.set_status(model_id, "READY_TO_USE")
    params = json.dumps({"model_id": {"model_id": model_id}, "text": "hi"})
    done = snet("client", "call", stack.org_id, stack.service_id, stack.group_name, "answer", params, "-y")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "hi" in done.stdout and model_id in done.stdout
    assert payments(control) == [(ANSWER, stack.daemon_config.price_in_cogs, model_id, "escrow")]


def test_a_stale_sdk_signature_is_refused_in_each_rpcs_wording(stack, control, sdk):
    model_id = create(sdk)
    # get_model reports expiry without detail; the SDK passes that text on as a GRPCError.
    error = sdk_failure(sdk.training, "get_model", stale_blocks=6, model_id=model_id)
    assert (error.type, error.details) == ("GRPCError", "invalid request: bad authorization provided")
    # "unable to access model: ..." is what the SDK turns into NoSuchModelError.
    error = sdk_failure(sdk.training, "validate_model_price", stale_blocks=6, model_id=model_id)
    assert (error.type, error.details) == ("NoSuchModelError", f"unable to access model: {EXPIRED}")
    train_price = sdk.training("train_model_price", model_id=model_id)
    # A paid call: the payment passes, the handler refuses the stale authorization, nothing is charged.
    error = sdk_failure(sdk.training, "train_model", stale_blocks=6, model_id=model_id, price=train_price)
    assert (error.type, error.details) == ("NoSuchModelError", f"unable to access model: {EXPIRED}")
    assert control.journal() == []
    # Five blocks are still inside the window.
    assert sdk.training("train_model", stale_blocks=5, model_id=model_id, price=train_price) == "TRAINING"
    assert payments(control) == [(DAEMON + "train_model", train_price, model_id, "train-call")]


def test_another_address_cannot_read_or_price_a_private_model(stack, control, sdk, sdk2):
    model_id = create(sdk, "private")
    error = sdk_failure(sdk2.training, "get_model", model_id=model_id)
    assert (error.type, error.details) == (
        "NoSuchModelError", f"unable to access model: user {stack.client2.address}, does not have access to "
                            f"model Id {model_id}")
    error = sdk_failure(sdk2.training, "validate_model_price", model_id=model_id)
    assert error.details == "unable to access model: error in updating model state: only owner can change the model state"
    assert sdk2.training("get_all_models") == []
    # Nor use it: the provider (which gets the payer as snet-user-address) refuses, nothing is charged.
    control.set_status(model_id, "READY_TO_USE")
    error = sdk_failure(sdk2.call, "answer", "Query", model_id=model_id, text="hi")
    assert "PERMISSION_DENIED" in error.message
    assert error.details.lower() == f"user {stack.client2.address.lower()} has no access to model {model_id}"
    assert control.journal() == []
    # Once the creator lists client2, it can read the model.  The new list replaces the old one
    # as given (the creator is not re-added), updated_by is the signer as sent.
    updated = sdk.training("update_model", model_id=model_id, addresses_with_access=[stack.client2.address])
    assert (updated["address_list"], updated["updated_by_address"]) == ([stack.client2.address],
                                                                        stack.client.address)
    assert sdk2.training("get_model", model_id=model_id)["model_id"] == model_id
    # (Daemon v6 lists it twice for client2, docs/protocol.md#update_model; the double does that only on request.)
    assert {m["model_id"] for m in sdk2.training("get_all_models")} == {model_id}
    # The creator keeps access although the stored list no longer names it.
    assert sdk.training("get_model", model_id=model_id)["address_list"] == [stack.client2.address]


def test_a_payment_one_cog_short_or_over_is_refused(control, sdk, tmp_path):
    model_id = create(sdk)
    data = dataset(tmp_path / "data.zip")
    validate_price = sdk.training("validate_model_price", model_id=model_id)
    train_price = sdk.training("train_model_price", model_id=model_id)
    for wrong in (validate_price - 1, validate_price + 1):
        error = sdk_failure(sdk.upload, model_id, data, wrong)
        assert (error.type, error.details) == ("GRPCError", f"income {wrong} does not equal to price {validate_price}")
        assert "UNAUTHENTICATED" in error.message
    for wrong in (train_price - 1, train_price + 1):
        error = sdk_failure(sdk.training, "train_model", model_id=model_id, price=wrong)
        assert (error.type, error.details) == ("GRPCError", f"income {wrong} does not equal to price {train_price}")
    assert control.journal() == []
    assert control.model(model_id)["uploads"] == []
    # The exact price still goes through afterwards: nothing was half-charged.
    assert sdk.upload(model_id, data, validate_price) == "VALIDATING"
    assert payments(control) == [(DAEMON + "upload_and_validate", validate_price, model_id, "train-call")]


def test_an_sdk_upload_that_outlives_the_block_window_is_refused(control, sdk, tmp_path):
    """snet-sdk signs once per upload; the daemon checks every chunk against the latest block.
    (This is why our client re-signs each chunk.)"""
    model_id = create(sdk)
    mib = 1024 * 1024
    data = dataset(tmp_path / "big.zip", {"part1.txt": mib + 100, "part2.txt": mib + 100})  # 3 SDK chunks
    price = sdk.training("validate_model_price", model_id=model_id)
    error = sdk_failure(sdk.upload, model_id, data, price, mine_after_first_chunk=6)
    assert (error.type, error.details) == ("GRPCError", f"invalid request: no authorization provided: {EXPIRED}")
    assert control.journal() == []
    [upload] = control.model(model_id)["uploads"]
    assert (len(upload["chunks"]), upload["complete"], upload["batch_size"], upload["batch_count"]) == (
        1, False, mib, 3)
    # The same upload with the chain standing still goes through.
    assert sdk.upload(model_id, data, price) == "VALIDATING"
    assert control.model(model_id)["uploads"][-1]["complete"]
    assert payments(control) == [(DAEMON + "upload_and_validate", price, model_id, "train-call")]
