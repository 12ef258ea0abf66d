"""daemon/client.py against an in-process gRPC server built from the private descriptor pool."""

from __future__ import annotations

import socket
import threading
import time
from concurrent import futures

import grpc
import pytest
from eth_account import Account
from eth_account.messages import encode_defunct

from snet_cli_training import errors
from snet_cli_training.daemon import authorization as auth
from snet_cli_training.daemon import client, endpoint as endpoints, protocol, rpc_errors, upload_feed
from snet_cli_training.daemon.replies import METHOD_METADATA_FIELDS, ChannelState
from snet_cli_training.daemon.signature_cache import SignatureCache
from snet_cli_training.services import Location

M = protocol.messages()
KEY = "0x" + "33" * 32
ADDRESS = Account.from_key(KEY).address

_RESPONSES = {
    "create_model": M.ModelResponse, "validate_model_price": M.PriceInBaseUnit, "validate_model": M.StatusResponse,
    "train_model_price": M.PriceInBaseUnit, "train_model": M.StatusResponse, "delete_model": M.StatusResponse,
    "get_all_models": M.ModelsResponse, "get_model": M.ModelResponse, "update_model": M.ModelResponse,
    "get_training_metadata": M.TrainingMetadata, "get_method_metadata": M.MethodMetadata,
}
_REQUESTS = {
    "create_model": M.NewModelRequest, "validate_model_price": M.AuthValidateRequest,
    "validate_model": M.AuthValidateRequest, "train_model_price": M.CommonRequest, "train_model": M.CommonRequest,
    "delete_model": M.CommonRequest, "get_all_models": M.AllModelsRequest, "get_model": M.CommonRequest,
    "update_model": M.UpdateModelRequest, "get_training_metadata": M.Empty,
    "get_method_metadata": M.MethodMetadataRequest,
}


class FakeDaemon:
    """Records every request and answers with the handler a test sets per RPC."""

    def __init__(self) -> None:
        self.handlers: dict = {}
        self.calls: list = []
        self.metadata: dict = {}
        self.stream_cancelled = threading.Event()

    def _unary(self, rpc):
        def handle(request, context):
            self.calls.append((rpc, request))
            self.metadata[rpc] = dict(context.invocation_metadata())
            handler = self.handlers.get(rpc)
            if handler is None:
                return _RESPONSES[rpc]()
            return handler(request, context)
        return handle

    def _upload(self, request_iterator, context):
        self.metadata["upload_and_validate"] = dict(context.invocation_metadata())
        try:
            received = [request for request in request_iterator]
        except grpc.RpcError:
            self.stream_cancelled.set()
            raise
        # Python's server may end the request iterator on a client's cancel as if the stream
        # were complete; the cancel then shows in is_active() shortly after.
        for _ in range(30):
            if not context.is_active():
                self.stream_cancelled.set()
                return M.StatusResponse()
            time.sleep(0.01)
        self.calls.append(("upload_and_validate", received))
        return M.StatusResponse(status=1)

    def _channel_state(self, request, context):
        self.calls.append(("GetChannelState", request))
        return M.ChannelStateReply(current_nonce=b"\x02", current_signed_amount=(1200).to_bytes(3, "big"),
                                   current_signature=b"\x05" * 65)

    def generic_handlers(self):
        fake_daemon = {rpc: grpc.unary_unary_rpc_method_handler(
            self._unary(rpc), request_deserializer=_REQUESTS[rpc].FromString,
            response_serializer=_RESPONSES[rpc].SerializeToString) for rpc in _RESPONSES}
        fake_daemon["upload_and_validate"] = grpc.stream_unary_rpc_method_handler(
            self._upload, request_deserializer=M.UploadAndValidateRequest.FromString,
            response_serializer=M.StatusResponse.SerializeToString)
        state = {"GetChannelState": grpc.unary_unary_rpc_method_handler(
            self._channel_state, request_deserializer=M.ChannelStateRequest.FromString,
            response_serializer=M.ChannelStateReply.SerializeToString)}
        return (grpc.method_handlers_generic_handler(protocol.DAEMON_SERVICE, fake_daemon),
                grpc.method_handlers_generic_handler(protocol.CHANNEL_STATE_SERVICE, state))

    def rpcs(self, name):
        return [request for rpc, request in self.calls if rpc == name]


@pytest.fixture(scope="module")
def server():
    fake_daemon = FakeDaemon()
    grpc_server = grpc.server(futures.ThreadPoolExecutor(max_workers=4),
                              options=[("grpc.max_receive_message_length", 16 * 1024 * 1024)])
    grpc_server.add_generic_rpc_handlers(fake_daemon.generic_handlers())
    port = grpc_server.add_insecure_port("127.0.0.1:0")
    grpc_server.start()
    yield fake_daemon, f"127.0.0.1:{port}"
    grpc_server.stop(None)


@pytest.fixture
def fake_daemon(server):
    fake, _ = server
    fake.handlers.clear()
    fake.calls.clear()
    fake.metadata.clear()
    fake.stream_cancelled.clear()
    return fake


class Blocks:
    def __init__(self, block: int = 100) -> None:
        self.block = block

    def __call__(self) -> int:
        return self.block


def _signer() -> auth.Signer:
    return auth.Signer(ADDRESS, lambda h: bytes(Account.sign_message(encode_defunct(primitive=h), KEY).signature))


@pytest.fixture
def blocks():
    return Blocks()


@pytest.fixture
def daemon_client(server, blocks):
    _, endpoint = server
    with client.DaemonClient(endpoint, auth.Authorizer(_signer(), blocks), timeout=5) as daemon_client:
        yield daemon_client


def _abort(code, details):
    def handler(request, context):
        context.abort(code, details)
    return handler


def _recovered(details) -> str:
    digest = auth.authorization_hash(details.message, details.signer_address, details.current_block)
    return auth.recover_signer(digest, details.signature)


def test_get_model_sends_a_unified_authorization(fake_daemon, daemon_client):
    fake_daemon.handlers["get_model"] = lambda request, context: M.ModelResponse(
        model_id=request.model_id, status=4, name="m", address_list=[ADDRESS.lower()])
    model = daemon_client.get_model("7")
    (request,) = fake_daemon.rpcs("get_model")
    assert request.model_id == "7"
    assert request.authorization.message == "unified" and request.authorization.current_block == 100
    assert _recovered(request.authorization) == ADDRESS
    as_dict = model.to_dict(Location("org", "svc", "default_group", "http://d:1"))
    assert list(as_dict) == ["model_id", "status", "name", "description", "grpc_service_name", "grpc_method_name",
                             "is_public", "address_list", "training_data_link", "created_by_address",
                             "updated_by_address", "created_date", "updated_date", "org_id", "service_id",
                             "group_name"]
    assert as_dict["status"] == "READY_TO_USE" and as_dict["address_list"] == [ADDRESS.lower()]
    assert as_dict["org_id"] == "org" and as_dict["group_name"] == "default_group"


def test_a_status_number_from_a_newer_daemon_reads_as_unknown_n(fake_daemon, daemon_client):
    fake_daemon.handlers["get_model"] = lambda request, context: M.ModelResponse(model_id="7", status=7)
    model = daemon_client.get_model("7")
    assert model.status == "UNKNOWN(7)"
    assert model.to_dict(Location("org", "svc", "default_group", "http://d:1"))["status"] == "UNKNOWN(7)"


def test_create_model_request_fields(fake_daemon, daemon_client):
    fake_daemon.handlers["create_model"] = lambda request, context: M.ModelResponse(model_id="1", name=request.model.name)
    model = daemon_client.create_model("Echo", "answer", "first", description="d", address_list=["0xabc"],
                                       is_public=True)
    assert model.model_id == "1"
    (request,) = fake_daemon.rpcs("create_model")
    assert request.authorization.message == "create_model"
    assert (request.model.grpc_service_name, request.model.grpc_method_name) == ("Echo", "answer")
    assert request.model.is_public and list(request.model.address_list) == ["0xabc"]
    assert _recovered(request.authorization) == ADDRESS


def test_update_model_sends_only_what_is_set(fake_daemon, daemon_client):
    daemon_client.update_model("5", description="new")
    daemon_client.update_model("5", name="", address_list=["0x1"])
    first, second = fake_daemon.rpcs("update_model")
    assert not first.HasField("model_name") and first.description == "new"
    assert second.HasField("model_name") and not second.HasField("description")
    assert list(second.address_list) == ["0x1"] and second.authorization.message == "update_model"


def test_get_all_models_filters(fake_daemon, daemon_client):
    fake_daemon.handlers["get_all_models"] = lambda request, context: M.ModelsResponse(
        list_of_models=[M.ModelResponse(model_id="a"), M.ModelResponse(model_id="b")])
    models = daemon_client.get_all_models(statuses=["READY_TO_USE", "CREATED"], name="x", page=2, page_size=10)
    assert [m.model_id for m in models] == ["a", "b"]
    daemon_client.get_all_models(is_public=False)
    first, second = fake_daemon.rpcs("get_all_models")
    assert list(first.statuses) == [4, 0] and not first.HasField("is_public")
    assert (first.page, first.page_size, first.name) == (2, 10, "x")
    assert second.HasField("is_public") and second.is_public is False
    with pytest.raises(errors.UserInputError, match="unknown model status 'DONE'"):
        daemon_client.get_all_models(statuses=["DONE"])
    # one unified signature for both
    assert first.authorization.signature == second.authorization.signature


def test_prices_statuses_and_payment_metadata(fake_daemon, daemon_client):
    fake_daemon.handlers["validate_model_price"] = lambda request, context: M.PriceInBaseUnit(price=200)
    fake_daemon.handlers["train_model_price"] = lambda request, context: M.PriceInBaseUnit(price=300)
    fake_daemon.handlers["train_model"] = lambda request, context: M.StatusResponse(status=3)
    fake_daemon.handlers["validate_model"] = lambda request, context: M.StatusResponse(status=1)
    fake_daemon.handlers["delete_model"] = lambda request, context: M.StatusResponse(status=6)
    assert daemon_client.validate_model_price("1", "http://link") == 200
    assert daemon_client.train_model_price("1") == 300
    headers = [("snet-payment-type", "train-call"), ("snet-payment-channel-signature-bin", b"\x01\x02")]
    assert daemon_client.train_model("1", payment_metadata=headers) == "TRAINING"
    assert daemon_client.validate_model("1", "http://link", payment_metadata=headers) == "VALIDATING"
    assert daemon_client.delete_model("1") == "DELETED"
    assert fake_daemon.metadata["train_model"]["snet-payment-type"] == "train-call"
    assert fake_daemon.metadata["train_model"]["snet-payment-channel-signature-bin"] == b"\x01\x02"
    (price_request,) = fake_daemon.rpcs("validate_model_price")
    assert price_request.training_data_link == "http://link" and price_request.authorization.message == "unified"
    (train_request,) = fake_daemon.rpcs("train_model")
    assert train_request.authorization.message == "train_model"


def test_training_and_method_metadata(fake_daemon, daemon_client):
    def metadata(request, context):
        response = M.TrainingMetadata(trainingEnabled=True, trainingInProto=True)
        response.trainingMethods["Echo"].values.add().string_value = "answer"
        response.trainingMethods["Echo"].values.add().string_value = "shout"
        return response

    fake_daemon.handlers["get_training_metadata"] = metadata
    fake_daemon.handlers["get_method_metadata"] = lambda request, context: M.MethodMetadata(
        dataset_max_size_mb=5, dataset_type="zip", default_model_id="0")
    assert daemon_client.get_training_metadata() == {
        "trainingEnabled": True, "trainingInProto": True, "trainingMethods": {"Echo": ["answer", "shout"]}}
    limits = daemon_client.get_method_metadata("Echo", "answer")
    assert list(limits) == list(METHOD_METADATA_FIELDS)
    assert limits["dataset_max_size_mb"] == 5 and limits["dataset_type"] == "zip" and limits["dataset_description"] == ""
    (request,) = fake_daemon.rpcs("get_method_metadata")
    assert (request.grpc_service_name, request.grpc_method_name, request.model_id) == ("Echo", "answer", "")


def test_channel_state(fake_daemon, daemon_client):
    state = daemon_client.get_channel_state(300, b"\x07" * 65, 99)
    assert state == ChannelState(2, 1200, b"\x05" * 65, 0, b"")
    (request,) = fake_daemon.rpcs("GetChannelState")
    assert request.channel_id == (300).to_bytes(2, "big") and request.current_block == 99
    daemon_client.get_channel_state(0, b"\x07" * 65, 99)
    assert fake_daemon.rpcs("GetChannelState")[1].channel_id == b"\x00"


def test_messages_bigger_than_grpc_default_pass(fake_daemon, daemon_client):
    big = "x" * (5 * 1024 * 1024)
    fake_daemon.handlers["get_model"] = lambda request, context: M.ModelResponse(model_id="1", description=big)
    assert len(daemon_client.get_model("1").description) == len(big)


def test_bad_authorization_is_resigned_and_retried_once(fake_daemon, server, tmp_path):
    _, endpoint = server
    answers = iter([_abort(grpc.StatusCode.UNKNOWN, "invalid request: bad authorization provided"),
                    lambda request, context: M.ModelResponse(model_id="9")])
    fake_daemon.handlers["get_model"] = lambda request, context: next(answers)(request, context)
    blocks = Blocks(100)
    cache = SignatureCache(tmp_path / "signatures.json")
    authorizer = auth.Authorizer(_signer(), blocks, cache=cache, network="local")
    authorizer.details("get_model")  # a cached signature the daemon is about to refuse
    blocks.block = 150
    with client.DaemonClient(endpoint, authorizer, timeout=5) as daemon_client:
        assert daemon_client.get_model("9").model_id == "9"
    first, second = fake_daemon.rpcs("get_model")
    assert first.authorization.current_block == 100 and second.authorization.current_block == 150
    assert cache.get("local", ADDRESS).block == 150


def test_refused_twice_gives_authorization_expired(fake_daemon, daemon_client):
    fake_daemon.handlers["delete_model"] = _abort(
        grpc.StatusCode.UNKNOWN, "unable to access model: authentication failed as the signature passed has expired")
    with pytest.raises(errors.AuthorizationExpired, match="refused the signed authorization for delete_model"):
        daemon_client.delete_model("3")
    assert len(fake_daemon.rpcs("delete_model")) == 2


def test_other_errors_are_not_retried(fake_daemon, daemon_client):
    fake_daemon.handlers["get_model"] = _abort(
        grpc.StatusCode.UNKNOWN, f"unable to access model: user {ADDRESS}, does not have access to model Id 4")
    with pytest.raises(errors.ModelNotFound) as caught:
        daemon_client.get_model("4")
    message = str(caught.value)
    assert message.startswith("model not found: 4 (the daemon at ")
    assert message.endswith(f" has none that {ADDRESS.lower()} may see: deleted, never created, or access removed)")
    assert caught.value.code == "UNKNOWN" and "does not have access" in caught.value.details
    assert len(fake_daemon.rpcs("get_model")) == 1


@pytest.mark.parametrize("code, details, expected, fragment", [
    (grpc.StatusCode.UNKNOWN, "service end point is not defined or is invalid , please contact the AI developer",
     errors.TrainingDisabled, "training is not enabled on the daemon at"),
    (grpc.StatusCode.UNIMPLEMENTED, "Method not found!", errors.TrainingDisabled, "has no training support"),
    (grpc.StatusCode.INVALID_ARGUMENT, 'missing "snet-payment-channel-id"', errors.TrainingDisabled,
     "has no training support"),
    (grpc.StatusCode.UNKNOWN, "unable to access model: daemon storage error: error in getting data from model "
     "storage: model data doesn't exist for modelID: 12", errors.ModelNotFound,
     "model not found: 12 (the daemon at http://d:1 has no such model)"),
    (grpc.StatusCode.UNKNOWN, "unable to access model: error in updating model state: only owner can change the "
     "model state", errors.AccessDenied, "only the model's creator can train it (model 12)"),
    (grpc.StatusCode.UNAUTHENTICATED, "income 10 does not equal to price 200", errors.PaymentError, "income 10"),
    (grpc.StatusCode.UNAUTHENTICATED, "not enough tokens on payment channel, channel amount: 1, payment amount: 2",
     errors.PaymentError, "not enough tokens"),
    (grpc.StatusCode.UNKNOWN, 'Server sent unknown code None and details "incorrect payment channel nonce, '
     'latest: 3, sent: 2"', errors.PaymentError, "refused the payment for train_model: incorrect payment channel nonce"),
    (grpc.StatusCode.FAILED_PRECONDITION, "another transaction on channel: {ID: 7} is in progress",
     errors.PaymentError, "another transaction"),
    (grpc.StatusCode.UNAUTHENTICATED, 'payment channel "{ID: 7}" not found', errors.PaymentError, "not found"),
    (grpc.StatusCode.UNKNOWN, "unable to access model: incorrect signature length", errors.AuthorizationExpired,
     "incorrect signature length"),
    (grpc.StatusCode.UNKNOWN, "WrapperServerStream: unexpected message type *training.UploadAndValidateRequest, want "
     "*codec.GrpcFrame", errors.UploadUnsupported, "cannot receive uploads"),
    (grpc.StatusCode.UNAVAILABLE, "No requests are currently being processed, please try again later",
     errors.DaemonUnavailable, "is unreachable: No requests"),
    (grpc.StatusCode.UNKNOWN, "issue with service: provider down", errors.DaemonError,
     "refused train_model: issue with service: provider down"),
])
def test_error_mapping(code, details, expected, fragment):
    class FakeRpcError(grpc.RpcError):
        def code(self):
            return code

        def details(self):
            return details

    mapped = rpc_errors.map_rpc_error(FakeRpcError(), endpoint="http://d:1", rpc="train_model", model_id="12")
    assert type(mapped) is expected
    assert fragment in str(mapped)
    assert mapped.endpoint == "http://d:1" and mapped.code == code.name and mapped.details == details


def test_error_mapping_through_the_wire(fake_daemon, daemon_client, server):
    _, endpoint = server
    fake_daemon.handlers["train_model_price"] = _abort(
        grpc.StatusCode.UNKNOWN, "service end point is not defined or is invalid , please contact the AI developer")
    with pytest.raises(errors.TrainingDisabled, match=f"daemon at {endpoint}"):
        daemon_client.train_model_price("1")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_daemon_names_the_endpoint(blocks):
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    with client.DaemonClient(endpoint, auth.Authorizer(_signer(), blocks), timeout=3) as daemon_client:
        with pytest.raises(errors.DaemonUnavailable, match=f"daemon at {endpoint} is unreachable"):
            daemon_client.get_training_metadata()


def test_deadline_is_applied(fake_daemon, server, blocks):
    _, endpoint = server

    def slow(request, context):
        time.sleep(1.0)
        return M.TrainingMetadata()

    fake_daemon.handlers["get_training_metadata"] = slow
    with client.DaemonClient(endpoint, auth.Authorizer(_signer(), blocks), timeout=0.2) as daemon_client:
        started = time.monotonic()
        with pytest.raises(errors.DaemonUnavailable, match="no answer before the deadline"):
            daemon_client.get_training_metadata()
        assert time.monotonic() - started < 0.9


@pytest.mark.parametrize("endpoint, target, secure", [
    ("https://daemon.example.org", "daemon.example.org:443", True),
    ("https://daemon.example.org:8443/", "daemon.example.org:8443", True),
    ("HTTPS://d:1", "d:1", True),
    ("http://daemon.example.org", "daemon.example.org:80", False),
    ("http://127.0.0.1:7000", "127.0.0.1:7000", False),
    ("127.0.0.1:7000", "127.0.0.1:7000", False),
    ("https://[::1]", "[::1]:443", True),
])
def test_parse_endpoint(endpoint, target, secure):
    assert endpoints.parse_endpoint(endpoint) == (target, secure)


def test_parse_endpoint_rejects_other_schemes():
    with pytest.raises(errors.UserInputError):
        endpoints.parse_endpoint("ftp://x:1")


def test_https_uses_tls_and_http_does_not(fake_daemon, server, blocks):
    _, endpoint = server
    with client.DaemonClient(f"http://{endpoint}", auth.Authorizer(_signer(), blocks), timeout=3) as plain:
        assert plain.get_training_metadata()["trainingEnabled"] is False
    # the test server speaks plain HTTP/2: a TLS client cannot complete a handshake with it
    with client.DaemonClient(f"https://{endpoint}", auth.Authorizer(_signer(), blocks), timeout=3) as tls:
        with pytest.raises(errors.DaemonUnavailable):
            tls.get_training_metadata()


def _chunks(model_id, count, blocks=None):
    for number in range(1, count + 1):
        if blocks is not None and number == 3:
            blocks.block += upload_feed.UPLOAD_RESIGN_BLOCKS
        yield M.UploadInput(model_id=model_id, data=bytes([number]) * 10, file_name="d.zip", file_size=10 * count,
                            batch_size=10, batch_number=number, batch_count=count)


def test_upload_signs_every_chunk_and_resigns_as_blocks_pass(fake_daemon, daemon_client, blocks):
    headers = [("snet-payment-type", "train-call"), ("snet-train-model-id", "8")]
    assert daemon_client.upload_and_validate(_chunks("8", 4, blocks), payment_metadata=headers) == "VALIDATING"
    (received,) = fake_daemon.rpcs("upload_and_validate")
    assert [r.upload_input.batch_number for r in received] == [1, 2, 3, 4]
    assert [r.authorization.current_block for r in received] == [100, 100, 102, 102]
    assert all(r.authorization.message == "upload_and_validate" and _recovered(r.authorization) == ADDRESS
               for r in received)
    assert fake_daemon.metadata["upload_and_validate"]["snet-train-model-id"] == "8"


def test_upload_stops_the_call_when_the_source_fails(fake_daemon, daemon_client):
    def failing():
        yield from _chunks("8", 2)
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        daemon_client.upload_and_validate(failing())
    assert fake_daemon.stream_cancelled.wait(2)
    assert fake_daemon.rpcs("upload_and_validate") == []


def test_upload_rejects_foreign_items(fake_daemon, daemon_client):
    with pytest.raises(TypeError, match="UploadInput"):
        daemon_client.upload_and_validate(iter([b"raw bytes"]))
