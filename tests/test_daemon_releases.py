"""The double behaving like each snet-daemon release (docs/daemon-releases.md), seen from the wire.

One session network; each test switches the double's behaviour through the control API (the
`behave` fixture puts the start-up behaviour back afterwards).
"""

from __future__ import annotations

import hashlib
import socket
import urllib.error
import urllib.request

import grpc
import pytest

from snet_cli_training.daemon import protocol
from snet_cli_training.daemon.heartbeat import fetch_heartbeat
from snet_cli_training.daemon.probe import PreRead, connect, probe_upload
from tests.test_daemon_double import Daemon, failure

M = protocol.messages()
OLD_KEYS = {"trainingEnabled", "trainingInProto", "trainingMethods", "dynamicPricing"}
COMMON_KEYS = {"daemonID", "timestamp", "status", "serviceheartbeat", "daemonVersion", "blockchainEnabled",
               "blockchainNetwork", "storageClientCertDetails"}
UPLOAD_BUG = "WrapperServerStream: unexpected message type *training.UploadAndValidateRequest, want *codec.GrpcFrame"


@pytest.fixture
def wire(stack, control):
    """The double through the test-side client of test_daemon_double, which signs its own requests."""
    with grpc.insecure_channel(stack.daemon_handle.target) as channel:
        yield Daemon(stack, stack.daemon_handle, channel)


def _heartbeat(stack) -> dict:
    reply = fetch_heartbeat(stack.daemon_endpoint)
    assert reply.document is not None, reply.problem
    return reply.document


@pytest.mark.parametrize(("behaviour", "version", "dynamic_pricing"), [
    ("v6.0", "v6.0.0", False), ("v6.0-dynamic-pricing", "v6.0.0", True)])
def test_heartbeats_up_to_v6_0_carry_the_training_and_pricing_keys(stack, behave, behaviour, version, dynamic_pricing):
    behave(behaviour)
    document = _heartbeat(stack)
    assert set(document) == COMMON_KEYS | OLD_KEYS
    assert (document["daemonVersion"], document["dynamicPricing"], document["trainingEnabled"]) == (
        version, dynamic_pricing, True)
    assert (document["status"], document["blockchainNetwork"], document["blockchainEnabled"]) == ("Online", "local", True)


@pytest.mark.parametrize(("behaviour", "version"), [("intended", "dev"), ("v6.1", "v6.1.0"), ("v6.2", "v6.2.3")])
def test_heartbeats_from_v6_1_carry_training_metadata_only_while_training_is_on(stack, control, behave, behaviour,
                                                                                version):
    behave(behaviour)
    document = _heartbeat(stack)
    assert set(document) == COMMON_KEYS | {"trainingMetadata"} and document["daemonVersion"] == version
    assert document["trainingMetadata"] == {"trainingEnabled": True, "trainingInProto": True,
                                            "trainingMethods": {"Echo": ["answer"]}}
    control.configure(training_enabled=False)
    assert set(_heartbeat(stack)) == COMMON_KEYS


@pytest.mark.parametrize("claimed", ["", "dev", "6.1.0"])
def test_the_heartbeat_says_whatever_version_the_build_claims(stack, behave, claimed):
    behave("v6.2", daemon_version=claimed)
    assert _heartbeat(stack)["daemonVersion"] == claimed


def test_one_port_serves_grpc_and_http_1(stack, wire):
    """gRPC and `GET /heartbeat` on the same host:port; any other HTTP/1 path is a 404, like the daemon's mux."""
    assert wire.call("get_training_metadata", M.Empty(), M.TrainingMetadata).trainingEnabled
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(stack.daemon_endpoint + "/nothing", timeout=5)
    assert missing.value.code == 404
    with socket.create_connection(("127.0.0.1", stack.daemon_port), timeout=5) as raw:
        raw.sendall(b"GET /heartbeat HTTP/1.1\r\nHost: x\r\n\r\n")
        assert raw.recv(12) == b"HTTP/1.1 200"
    assert wire.call("get_training_metadata", M.Empty(), M.TrainingMetadata).trainingInProto


@pytest.mark.parametrize(("behaviour", "expected"), [
    ("intended", PreRead.NONE), ("v6.0", PreRead.NONE), ("v6.0-dynamic-pricing", PreRead.PRE_READS),
    ("v6.1", PreRead.PRE_READS), ("v6.2", PreRead.PRE_READS)])
def test_the_upload_probe_tells_pre_reading_releases_apart_for_free(stack, control, wire, behave, behaviour, expected):
    behave(behaviour)
    assert connect(wire.channel, 5) == "ready"
    probe = probe_upload(wire.channel, stack.daemon_endpoint)
    assert probe.pre_read is expected
    assert (probe.code, probe.details) == (("INVALID_ARGUMENT", 'missing "snet-payment-channel-id"')
                                           if expected is PreRead.NONE else ("UNKNOWN", "EOF"))
    assert control.journal() == [] and control.behaviour()["crashes"] == []


@pytest.mark.parametrize(("behaviour", "word"), [("v6.0", "invalud"), ("v6.0-dynamic-pricing", "invalud"),
                                                 ("v6.1", "invalid"), ("v6.2", "invalid"), ("intended", "invalid")])
def test_create_model_without_authorization_spells_invalid_by_release(wire, behave, behaviour, word):
    behave(behaviour)
    error = failure(wire.call, "create_model", M.NewModelRequest(model=M.NewModel(name="x")), M.ModelResponse)
    assert error.details() == f"{word} request: no authorization provided"


def _priced(wire) -> tuple[str, int]:
    client = wire.stack.client
    model_id = wire.create(client)
    request = M.AuthValidateRequest(authorization=wire.auth(client, "validate_model_price"), model_id=model_id)
    return model_id, wire.call("validate_model_price", request, M.PriceInBaseUnit).price


def _chunks(wire, model_id: str, parts: list[bytes]):
    for number, part in enumerate(parts, 1):
        yield M.UploadAndValidateRequest(
            authorization=wire.auth(wire.stack.client, "upload_and_validate"),
            upload_input=M.UploadInput(model_id=model_id, data=part, file_name="d.zip", file_size=sum(map(len, parts)),
                                       batch_size=len(parts[0]), batch_number=number, batch_count=len(parts)))


@pytest.mark.parametrize("behaviour", ["v6.0-dynamic-pricing", "v6.1"])
def test_dropping_releases_charge_for_an_upload_without_its_first_message(wire, behave, behaviour):
    behave(behaviour)
    model_id, price = _priced(wire)
    parts = [b"first" * 100, b"second" * 100, b"third" * 100]
    assert wire.upload(_chunks(wire, model_id, parts), wire.payment(wire.stack.client, price, model_id)).status == 1
    [upload] = wire.control.model(model_id)["uploads"]
    assert (upload["sha256"], upload["size"], upload["file_size"]) == (
        hashlib.sha256(b"".join(parts[1:])).hexdigest(), len(parts[1]) + len(parts[2]), sum(map(len, parts)))
    assert [e["increment"] for e in wire.control.journal()] == [price]  # paid for the whole


def test_a_one_message_upload_crashes_a_dropping_release_with_the_payment_rolled_back(wire, behave):
    behave("v6.1")
    model_id, price = _priced(wire)
    error = failure(wire.upload, _chunks(wire, model_id, [b"only"]), wire.payment(wire.stack.client, price,
                                                                                      model_id))
    assert error.code() == grpc.StatusCode.UNAVAILABLE and "crashed" in error.details()
    assert wire.control.journal() == []
    assert [c["cause"] for c in wire.control.behaviour()["crashes"]] == [
        "a paid upload whose handler received no message"]


def test_v6_2_fails_every_paid_upload_and_charges_nothing(wire, behave):
    behave("v6.2")
    model_id, price = _priced(wire)
    error = failure(wire.upload, _chunks(wire, model_id, [b"a" * 10, b"b" * 10]),
                    wire.payment(wire.stack.client, price, model_id))
    assert (error.code(), error.details()) == (grpc.StatusCode.UNKNOWN, UPLOAD_BUG)
    assert wire.control.journal() == [] and wire.control.model(model_id)["uploads"] == []


def test_the_canary_is_rejected_where_the_first_message_is_read_and_dropped_where_it_is_not(wire, behave):
    parts = [b"x" * 64, b"y" * 64]

    def with_canary(model_id: str):
        yield M.UploadAndValidateRequest(upload_input=M.UploadInput(model_id=model_id, file_name="d.zip",
                                                                    batch_number=1, batch_count=2))
        yield from _chunks(wire, model_id, parts)

    behave("v6.0")
    model_id, price = _priced(wire)
    error = failure(wire.upload, with_canary(model_id), wire.payment(wire.stack.client, price, model_id))
    assert error.details() == "invalid request: no authorization provided"
    assert wire.control.journal() == [] and wire.control.model(model_id)["uploads"] == []
    behave("v6.1")
    assert wire.upload(with_canary(model_id), wire.payment(wire.stack.client, price, model_id)).status == 1
    [upload] = wire.control.model(model_id)["uploads"]
    assert upload["sha256"] == hashlib.sha256(b"".join(parts)).hexdigest() and upload["complete"]


@pytest.mark.parametrize(("behaviour", "crashes"), [("v6.1", True), ("intended", False)])
def test_hazards_crash_released_daemons_and_only_answer_on_the_intended_one(wire, behave, behaviour, crashes):
    behave(behaviour)
    model_id, price = _priced(wire)
    unknown_metadata = failure(wire.call, "get_method_metadata", M.MethodMetadataRequest(model_id="no-such-model"),
                               M.MethodMetadata)
    no_model = failure(wire.call, "create_model", M.NewModelRequest(
        authorization=wire.auth(wire.stack.client, "create_model")), M.ModelResponse)
    header_names_another = wire.payment(wire.stack.client, price, model_id)
    header_names_another[4] = ("snet-train-model-id", "no-such-model")
    unknown_header = failure(wire.call, "validate_model", M.AuthValidateRequest(
        authorization=wire.auth(wire.stack.client, "validate_model"), model_id=model_id,
        training_data_link="https://example.com/d.zip"), M.StatusResponse, header_names_another)
    codes = {error.code() for error in (unknown_metadata, no_model, unknown_header)}
    assert codes == ({grpc.StatusCode.UNAVAILABLE} if crashes else {grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL})
    causes = [crash["cause"] for crash in wire.control.behaviour()["crashes"]]
    assert causes == (["get_method_metadata with unknown model id no-such-model", "create_model with model unset",
                       "unknown snet-train-model-id no-such-model"] if crashes else [])
    assert wire.control.journal() == []


@pytest.mark.parametrize(("behaviour", "code"), [("v6.0", grpc.StatusCode.UNAVAILABLE),
                                                 ("v6.1", grpc.StatusCode.UNIMPLEMENTED)])
def test_health_list_kills_v6_0(wire, behave, behaviour, code):
    behave(behaviour)
    health_list = wire.channel.unary_unary("/grpc.health.v1.Health/List")
    assert failure(health_list, b"", timeout=5).code() == code
    assert len(wire.control.behaviour()["crashes"]) == (1 if code == grpc.StatusCode.UNAVAILABLE else 0)


def test_a_reset_restores_the_start_up_behaviour_and_forgets_crashes(control, behave):
    behave("v6.0", daemon_version="", blockchain_network="sepolia")
    control.reset()
    assert control.behaviour() == {"behaviour": "intended", "daemon_version": "dev", "blockchain_network": "local",
                                   "crashes": []}
    with pytest.raises(urllib.error.HTTPError):
        control.behave(behaviour="v7")
