"""Provider mode: `sandbox up --provider HOST:PORT --proto-dir DIR` puts a provider's own service behind the sandbox daemon.

The provider here is written for the test: a gRPC server of `training.Model` and of its own
`acme.Tagger/tag`, recording everything it receives. `snet training` and the official SDK then
drive it through the sandbox, and what arrives must be exactly what the daemon forwards as
snet-daemon does (docs/protocol.md#per-rpc-semantics): the NewModel with organization, service
and group filled in, every upload chunk byte for byte, prices and statuses from the provider.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from concurrent import futures
from pathlib import Path
from types import SimpleNamespace

import grpc
import pytest

from snet_cli_training.daemon.protocol import messages
from snet_cli_training.sandbox.daemon.control_client import DaemonControl
from snet_cli_training.sandbox.daemon.service_spec import ServiceSpec
from snet_cli_training.sandbox.lifecycle import Sandbox
from tests.support.cli import run_snet
from tests.support.harness import ok_json, run
from tests.support.sdk_client import SdkWorker
from tests.support.user_home import dot_snet_digest, make_user_home, sandbox_folder

ROOT = Path(__file__).resolve().parents[1]
TAGGER_PROTO = """\
syntax = "proto3";
package acme;
import "training.proto";
service Tagger {
  rpc tag(Request) returns (Reply) { option (training.dataset_type) = "zip"; }
}
message Request { training.ModelID model_id = 1; string text = 2; }
message Reply { string text = 1; string model_id = 2; string user = 3; }
"""
VALIDATE_PRICE, TRAIN_PRICE = 123, 456
CREATED, VALIDATING, VALIDATED, TRAINING, READY_TO_USE = range(5)


class RecordingProvider:
    """training.Model and acme.Tagger/tag on 127.0.0.1; every request kept in `received`."""

    def __init__(self, proto_file: Path) -> None:
        m, self.lock = messages(), threading.Lock()
        self.received: dict[str, list] = {name: [] for name in ("create", "chunks", "validate_price", "train_price",
                                                                  "train", "status_polls", "tag")}
        self.status: dict[str, int] = {}
        tag = next(method for method in ServiceSpec(str(proto_file)).methods if method.name == "tag")
        self.reply = tag.response
        model = {
            "create_model": _unary(self.create_model, m.NewModel, m.ModelID),
            "validate_model_price": _unary(self._price("validate_price", VALIDATE_PRICE), m.ValidateRequest,
                                           m.PriceInBaseUnit),
            "upload_and_validate": grpc.stream_unary_rpc_method_handler(
                self.upload_and_validate, request_deserializer=m.UploadInput.FromString,
                response_serializer=m.StatusResponse.SerializeToString),
            "train_model_price": _unary(self._price("train_price", TRAIN_PRICE), m.ModelID, m.PriceInBaseUnit),
            "train_model": _unary(self.train_model, m.ModelID, m.StatusResponse),
            "get_model_status": _unary(self.get_model_status, m.ModelID, m.StatusResponse),
        }
        self.m = m
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), handlers=[
            grpc.method_handlers_generic_handler("training.Model", model),
            grpc.method_handlers_generic_handler("acme.Tagger", {"tag": _unary(self.tag, tag.request, tag.response)})])
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()

    def _keep(self, kind: str, item) -> None:
        with self.lock:
            self.received[kind].append(item)

    def create_model(self, request, context):
        self._keep("create", request)
        model_id = f"acme-{len(self.received['create'])}"
        self.status[model_id] = CREATED
        return self.m.ModelID(model_id=model_id)

    def _price(self, kind: str, price: int):
        def answer(request, context):
            self._keep(kind, request.model_id)
            return self.m.PriceInBaseUnit(price=price)
        return answer

    def upload_and_validate(self, requests, context):
        model_id = ""
        for chunk in requests:
            self._keep("chunks", chunk)
            model_id = chunk.model_id
        self.status[model_id] = VALIDATING
        return self.m.StatusResponse(status=VALIDATING)

    def train_model(self, request, context):
        self._keep("train", request.model_id)
        self.status[request.model_id] = TRAINING
        return self.m.StatusResponse(status=TRAINING)

    def get_model_status(self, request, context):
        """Each poll finishes the job in progress: the daemon asks, the provider answers."""
        self._keep("status_polls", request.model_id)
        finished = {VALIDATING: VALIDATED, TRAINING: READY_TO_USE}
        status = self.status[request.model_id] = finished.get(self.status[request.model_id],
                                                              self.status[request.model_id])
        return self.m.StatusResponse(status=status)

    def tag(self, request, context):
        user = dict(context.invocation_metadata()).get("snet-user-address", "")
        self._keep("tag", (request.model_id.model_id, request.text, user))
        return self.reply(text=request.text.upper(), model_id=request.model_id.model_id, user=user)


def _unary(handler, request, response) -> grpc.RpcMethodHandler:
    return grpc.unary_unary_rpc_method_handler(handler, request_deserializer=request.FromString,
                                               response_serializer=response.SerializeToString)


@pytest.fixture
def provider(tmp_path):
    protos = tmp_path / "protos"
    protos.mkdir()
    (protos / "tagger.proto").write_text(TAGGER_PROTO)
    # A provider's folder holds training.proto too; the sandbox publishes only the service's own files.
    (protos / "training.proto").write_bytes((ROOT / "protos" / "training.proto").read_bytes())
    recording = RecordingProvider(protos / "tagger.proto")
    yield recording, protos
    recording.server.stop(None)


@pytest.mark.slow(17)
def test_provider_mode_forwards_training_and_calls_to_the_providers_own_service(provider, tmp_path):
    recording, protos = provider
    home = make_user_home(tmp_path / "user")
    before = dot_snet_digest(home)
    try:
        # v6.1 drops the first message of every upload: `snet training upload` sends its canary first.
        up = run_snet(home, "training", "sandbox", "up", "--provider", f"127.0.0.1:{recording.port}",
                      "--proto-dir", str(protos), "--daemon-behaviour", "v6.1", "--json", timeout=120)
        assert up.returncode == 0, up.stdout + up.stderr
        sandbox = json.loads(up.stdout)
        service = sandbox["service"]
        assert (service["org_id"], service["service_id"], service["provider"]) == (
            "sandbox", "tagger", f"127.0.0.1:{recording.port}")
        client = Path(sandbox["identities"]["client"]["home"])
        address = sandbox["identities"]["client"]["address"]
        published = run_snet(client, "service", "get-api-registry", "sandbox", "tagger", str(tmp_path / "api"))
        assert published.returncode == 0 and os.listdir(tmp_path / "api") == ["tagger.proto"], published.stderr

        model = ok_json(run(client, "create-model", "sandbox", "tagger", "--name", "m1", "--description", "d"))
        [created] = recording.received["create"]
        assert model["model_id"] == "acme-1" and model["status"] == "CREATED"
        group_id = sandbox_group_id(client)
        assert (created.name, created.grpc_service_name, created.grpc_method_name) == ("m1", "Tagger", "tag")
        assert (created.organization_id, created.service_id, created.group_id) == ("sandbox", "tagger", group_id)

        dataset = tmp_path / "data.zip"
        dataset.write_bytes(zip_of_random_bytes(5000))
        uploaded = ok_json(run(client, "upload", "acme-1", str(dataset), "--chunk-size", "1024", "-y"))
        assert (uploaded["price_cogs"], uploaded["status"], uploaded["upload_mode"]) == (VALIDATE_PRICE, "VALIDATING",
                                                                                         "canary")
        chunks = recording.received["chunks"]
        assert b"".join(c.data for c in chunks) == dataset.read_bytes()
        size = dataset.stat().st_size
        assert [(c.batch_number, c.batch_count, c.file_size, c.file_name, c.model_id) for c in chunks] == [
            (n, len(chunks), size, "data.zip", "acme-1") for n in range(1, len(chunks) + 1)]
        assert len(chunks) == -(-size // 1024) > 1

        assert ok_json(run(client, "wait", "acme-1", "--interval", "0.1"))["status"] == "VALIDATED"
        assert ok_json(run(client, "train", "acme-1", "-y"))["price_cogs"] == TRAIN_PRICE
        assert recording.received["train"] == ["acme-1"]
        assert ok_json(run(client, "wait", "acme-1", "--interval", "0.1"))["status"] == "READY_TO_USE"
        assert recording.received["status_polls"].count("acme-1") >= 2
        answer = ok_json(run(client, "call", "acme-1", "tag", '{"text": "hello"}', "-y"))
        assert answer == {"text": "HELLO", "model_id": "acme-1", "user": address}

        status = ok_json(run(home, "sandbox", "status"))
        assert [(p["rpc"], p["price_cogs"]) for p in status["payments"]] == [
            ("training.Daemon/upload_and_validate", VALIDATE_PRICE), ("training.Daemon/train_model", TRAIN_PRICE),
            ("acme.Tagger/tag", 10)]
        assert [(m["model_id"], m["status"]) for m in status["models"]] == [("acme-1", "READY_TO_USE")]
        assert (status["daemon"]["behaviour"], status["daemon"]["crashes"]) == ("v6.1", [])

        drive_with_the_sdk(sandbox, recording, tmp_path)
    finally:
        down = run_snet(home, "training", "sandbox", "down", "--json")
        Sandbox(sandbox_folder(home)).down()
    assert down.returncode == 0 and len(json.loads(down.stdout)["stopped_pids"]) == 4, down.stderr
    assert dot_snet_digest(home) == before


def drive_with_the_sdk(sandbox: dict, recording: RecordingProvider, tmp_path: Path) -> None:
    """The official SDK against the same daemon: its models, uploads and calls reach the provider the same way.

    The SDK has no canary, so v6.1 would drop its one-message upload: the daemon behaves as intended for it.
    """
    DaemonControl(sandbox["endpoints"]["daemon_control"]).behave(behaviour="intended")
    network = SimpleNamespace(
        rpc=sandbox["endpoints"]["chain"], ipfs_port=int(sandbox["endpoints"]["ipfs"].rsplit(":", 1)[1]),
        mpe_address=sandbox["contracts"]["mpe"], registry_address=sandbox["contracts"]["registry"],
        token_address=sandbox["contracts"]["token"], org_id="sandbox", service_id="tagger",
        group_name="default_group", daemon_handle=SimpleNamespace(control_url=sandbox["endpoints"]["daemon_control"]))
    client = sandbox["identities"]["client"]
    sdk = SdkWorker(network, SimpleNamespace(name="client", private_key=client["private_key"]))
    try:
        assert sdk.training("get_training_metadata")["training_methods"] == {"Tagger": ["tag"]}
        model_id = sdk.training("create_model", method_name="tag", model_name="from-sdk")["model_id"]
        assert model_id == "acme-2" and recording.received["create"][-1].name == "from-sdk"
        price = sdk.training("validate_model_price", model_id=model_id)
        assert price == VALIDATE_PRICE
        dataset = tmp_path / "sdk.zip"
        dataset.write_bytes(zip_of_random_bytes(3000))
        before = len(recording.received["chunks"])
        assert sdk.upload(model_id, dataset, price) == "VALIDATING"
        assert b"".join(c.data for c in recording.received["chunks"][before:]) == dataset.read_bytes()
        polls = recording.received["status_polls"].count(model_id)
        assert sdk.training("get_model", model_id=model_id)["status"] == "VALIDATED"
        assert recording.received["status_polls"].count(model_id) == polls + 1
        assert sdk.call("tag", "Request", model_id=model_id, text="sdk") == {
            "text": "SDK", "model_id": model_id, "user": client["address"]}
    finally:
        sdk.close()


def sandbox_group_id(home: Path) -> str:
    from snet_cli_training.sandbox.provision import group_id_bytes

    return base64.b64encode(group_id_bytes()).decode()


def zip_of_random_bytes(size: int) -> bytes:
    """A zip holding `size` random bytes (stored, so the archive is about that big)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("data/blob.txt", os.urandom(size))
    return buffer.getvalue()
