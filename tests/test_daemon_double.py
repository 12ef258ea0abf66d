"""The daemon double against a real chain: authorization, access, payment and upload rules."""

from __future__ import annotations

import hashlib
import threading
import time

import grpc
import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from web3 import Web3

from snet_cli_training.daemon import protocol
from snet_cli_training.sandbox.contracts import contract

M = protocol.messages()
PATH = "/training.Daemon/"


@pytest.fixture
def daemon(stack, control):
    """The reset double through a test-side gRPC client that signs its own requests."""
    channel = grpc.insecure_channel(stack.daemon_handle.target)
    yield Daemon(stack, stack.daemon_handle, channel)
    channel.close()


def personal_sign(private_key: str, digest: bytes) -> bytes:
    return bytes(Account.sign_message(encode_defunct(primitive=digest), private_key).signature)


class Daemon:
    """Test-side client: signs like the SDK, calls by path with the private-pool classes."""

    def __init__(self, stack, handle, channel: grpc.Channel) -> None:
        self.stack, self.control, self.channel = stack, handle.control, channel
        self.mpe = Web3.to_checksum_address(stack.mpe_address)

    def auth(self, identity, message: str, block: int | None = None):
        block = self.stack.block_number() if block is None else block
        digest = Web3.solidity_keccak(["string", "address", "uint256"], [message, identity.address, block])
        return M.AuthorizationDetails(current_block=block, message=message, signer_address=identity.address,
                                      signature=personal_sign(identity.private_key, digest))

    def call(self, rpc: str, request, response_class, metadata=None):
        method = self.channel.unary_unary(PATH + rpc, request_serializer=type(request).SerializeToString,
                                          response_deserializer=response_class.FromString)
        return method(request, metadata=metadata, timeout=20)

    def upload(self, requests, metadata):
        method = self.channel.stream_unary(PATH + "upload_and_validate",
                                           request_serializer=M.UploadAndValidateRequest.SerializeToString,
                                           response_deserializer=M.StatusResponse.FromString)
        return method(requests, metadata=metadata, timeout=20)

    def create(self, identity, name="m", is_public=False, address_list=()):
        model = M.NewModel(name=name, grpc_service_name="Echo", grpc_method_name="answer",
                           is_public=is_public, address_list=list(address_list))
        request = M.NewModelRequest(authorization=self.auth(identity, "create_model"), model=model)
        return self.call("create_model", request, M.ModelResponse).model_id

    def get_model(self, identity, model_id, message="get_model"):
        request = M.CommonRequest(authorization=self.auth(identity, message), model_id=model_id)
        return self.call("get_model", request, M.ModelResponse)

    def channel_id(self, identity) -> int:
        mpe = contract(self.stack.web3(), "MultiPartyEscrow", self.stack.mpe_address)
        for channel_id in range(mpe.functions.nextChannelId().call()):
            if mpe.functions.channels(channel_id).call()[1] == identity.address:
                return channel_id
        raise LookupError(identity.address)

    def channel_state(self, identity, channel_id: int):
        block = self.stack.block_number()
        digest = Web3.solidity_keccak(["string", "address", "uint256", "uint256"],
                                      ["__get_channel_state", self.mpe, channel_id, block])
        request = M.ChannelStateRequest(channel_id=Web3.to_bytes(channel_id), current_block=block,
                                        signature=personal_sign(identity.private_key, digest))
        method = self.channel.unary_unary(f"/{protocol.CHANNEL_STATE_SERVICE}/GetChannelState",
                                          request_serializer=M.ChannelStateRequest.SerializeToString,
                                          response_deserializer=M.ChannelStateReply.FromString)
        return method(request, timeout=20)

    def payment(self, identity, increment: int, model_id: str, payment_type="train-call", nonce=None):
        """Payment headers for last signed amount + increment, as snet-sdk builds them."""
        channel_id = self.channel_id(identity)
        state = self.channel_state(identity, channel_id)
        nonce = int.from_bytes(state.current_nonce, "big") if nonce is None else nonce
        amount = int.from_bytes(state.current_signed_amount, "big") + increment
        digest = Web3.solidity_keccak(["string", "address", "uint256", "uint256", "uint256"],
                                      ["__MPE_claim_message", self.mpe, channel_id, nonce, amount])
        return [("snet-payment-type", payment_type), ("snet-payment-channel-id", str(channel_id)),
                ("snet-payment-channel-nonce", str(nonce)), ("snet-payment-channel-amount", str(amount)),
                ("snet-train-model-id", model_id),
                ("snet-payment-channel-signature-bin", personal_sign(identity.private_key, digest))]


def failure(call, *args, **kwargs) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call(*args, **kwargs)
    return caught.value


def test_training_and_method_metadata_come_from_the_service_proto(daemon):
    metadata = daemon.call("get_training_metadata", M.Empty(), M.TrainingMetadata)
    assert metadata.trainingEnabled and metadata.trainingInProto
    assert {k: [v.string_value for v in lst.values] for k, lst in metadata.trainingMethods.items()} == \
        {"Echo": ["answer"]}
    limits = daemon.call("get_method_metadata", M.MethodMetadataRequest(grpc_service_name="Echo",
                                                                        grpc_method_name="answer"), M.MethodMetadata)
    assert (limits.dataset_max_size_mb, limits.dataset_type, limits.max_models_per_user) == (10, "zip, tar.gz, tar", 5)
    model_id = daemon.create(daemon.stack.client)
    by_model = daemon.call("get_method_metadata", M.MethodMetadataRequest(model_id=model_id), M.MethodMetadata)
    assert by_model == limits
    unknown_key = M.MethodMetadataRequest(grpc_service_name="example.Echo", grpc_method_name="answer")
    assert daemon.call("get_method_metadata", unknown_key, M.MethodMetadata) == M.MethodMetadata()
    error = failure(daemon.call, "get_method_metadata", M.MethodMetadataRequest(model_id="nope"), M.MethodMetadata)
    assert error.code() == grpc.StatusCode.UNKNOWN


def test_a_signature_older_than_five_blocks_is_refused_in_each_rpcs_wording(daemon):
    client = daemon.stack.client
    model_id = daemon.create(client)
    stale_create = daemon.auth(client, "create_model")
    stale_price = daemon.auth(client, "validate_model_price")
    daemon.stack.mine(6)
    error = failure(daemon.call, "create_model", M.NewModelRequest(
        authorization=stale_create, model=M.NewModel(grpc_service_name="Echo", grpc_method_name="answer")),
        M.ModelResponse)
    assert (error.code(), error.details()) == (grpc.StatusCode.UNKNOWN, "invalid request: bad authorization provided")
    error = failure(daemon.call, "validate_model_price",
                    M.AuthValidateRequest(authorization=stale_price, model_id=model_id), M.PriceInBaseUnit)
    assert error.details() == "unable to access model: authentication failed as the signature passed has expired"
    # Five blocks either way are inside the window.
    ahead = daemon.auth(client, "validate_model_price", daemon.stack.block_number() + 5)
    assert daemon.call("validate_model_price", M.AuthValidateRequest(authorization=ahead, model_id=model_id),
                       M.PriceInBaseUnit).price == 200


def test_messages_other_than_the_rpcs_name_or_unified_are_refused(daemon):
    client = daemon.stack.client
    model_id = daemon.create(client)
    # train_model is paid: the payment (price never fetched: 0) is checked before the handler.
    error = failure(daemon.call, "train_model", M.CommonRequest(
        authorization=daemon.auth(client, "unified"), model_id=model_id), M.StatusResponse,
        metadata=daemon.payment(client, 0, model_id))
    assert error.details() == "unable to access model: unsupported message: unified for this method"
    error = failure(daemon.call, "delete_model", M.CommonRequest(
        authorization=daemon.auth(client, "get_model"), model_id=model_id), M.StatusResponse)
    assert error.details() == "unable to access model: unsupported message: get_model for this method"
    daemon.stack.mine(20)
    old_unified = daemon.auth(client, "unified", daemon.stack.block_number() - 20)
    assert daemon.call("get_model", M.CommonRequest(authorization=old_unified, model_id=model_id),
                       M.ModelResponse).model_id == model_id


def test_a_signature_by_another_key_names_the_recovered_address(daemon):
    client, client2 = daemon.stack.client, daemon.stack.client2
    model_id = daemon.create(client)
    block = daemon.stack.block_number()
    digest = Web3.solidity_keccak(["string", "address", "uint256"], ["train_model_price", client.address, block])
    forged = M.AuthorizationDetails(current_block=block, message="train_model_price", signer_address=client.address,
                                    signature=personal_sign(client2.private_key, digest))
    error = failure(daemon.call, "train_model_price", M.CommonRequest(authorization=forged, model_id=model_id),
                    M.PriceInBaseUnit)
    assert error.details() == (f"unable to access model: the address: {client2.address} "
                               "does not match to what has been expected / registered")


def test_access_follows_the_public_flag_and_the_address_list(daemon):
    client, client2 = daemon.stack.client, daemon.stack.client2
    private = daemon.create(client, "private")
    public = daemon.create(client, "public", is_public=True)
    shared = daemon.create(client, "shared", address_list=[client2.address])
    error = failure(daemon.get_model, client2, private)
    assert error.details() == (f"unable to access model: user {client2.address}, "
                               f"does not have access to model Id {private}")
    assert daemon.get_model(client2, public).is_public
    record = daemon.get_model(client2, shared)
    assert record.created_by_address == client.address.lower()
    assert list(record.address_list) == [client2.address, client.address.lower()]
    # Creator-only RPCs look at created_by only.
    error = failure(daemon.call, "train_model_price", M.CommonRequest(
        authorization=daemon.auth(client2, "train_model_price"), model_id=shared), M.PriceInBaseUnit)
    assert error.details() == "unable to access model: error in updating model state: only owner can change the model state"
    # Dropping client2 from the list takes its access away (the daemon's intent; v6 keeps it).
    spare = "0x" + "ab" * 20
    daemon.call("update_model", M.UpdateModelRequest(authorization=daemon.auth(client, "update_model"),
                                                     model_id=shared, address_list=[spare]), M.ModelResponse)
    assert failure(daemon.get_model, client2, shared).code() == grpc.StatusCode.UNKNOWN
    listing = daemon.call("get_all_models", M.AllModelsRequest(authorization=daemon.auth(client2, "get_all_models")),
                          M.ModelsResponse)
    assert [m.model_id for m in listing.list_of_models] == [public]


def test_get_all_models_order_filters_and_paging(daemon):
    client = daemon.stack.client
    ids = [daemon.create(client, name, is_public=public)
           for name, public in [("Alpha", False), ("beta", True), ("gamma", False)]]

    def listing(**fields):
        request = M.AllModelsRequest(authorization=daemon.auth(client, "unified"), **fields)
        return [m.model_id for m in daemon.call("get_all_models", request, M.ModelsResponse).list_of_models]

    assert listing() == [ids[0], ids[2], ids[1]]
    assert listing(is_public=True) == [ids[1]]
    assert listing(is_public=False) == [ids[0], ids[2]]
    assert listing(name="ALP") == [ids[0]]
    assert listing(grpc_method_name="Answer") == []
    assert listing(page=1, page_size=2) == [ids[1]]
    assert listing(page=2) == [ids[1]]
    daemon.control.configure(duplicate_listing=True)
    assert listing(is_public=False) == [ids[0], ids[2], ids[0]]


def _priced_model(daemon, identity, price_rpc="validate_model_price"):
    model_id = daemon.create(identity)
    request_class = M.AuthValidateRequest if price_rpc == "validate_model_price" else M.CommonRequest
    price = daemon.call(price_rpc, request_class(authorization=daemon.auth(identity, price_rpc), model_id=model_id),
                        M.PriceInBaseUnit).price
    return model_id, price


def test_the_increment_must_equal_the_stored_price_exactly(daemon):
    client = daemon.stack.client
    model_id, price = _priced_model(daemon, client)
    assert price == 200

    def validate(increment):
        request = M.AuthValidateRequest(authorization=daemon.auth(client, "validate_model"), model_id=model_id)
        return daemon.call("validate_model", request, M.StatusResponse,
                           metadata=daemon.payment(client, increment, model_id))

    for wrong in (price - 1, price + 1):
        error = failure(validate, wrong)
        assert (error.code(), error.details()) == (grpc.StatusCode.UNAUTHENTICATED,
                                                   f"income {wrong} does not equal to price {price}")
    assert daemon.control.journal() == []
    assert validate(price).status == 1  # VALIDATING
    [entry] = daemon.control.journal()
    channel_id = daemon.channel_id(client)
    assert {k: entry[k] for k in ("channel_id", "amount", "increment", "rpc", "model_id", "payment_type")} == {
        "channel_id": channel_id, "amount": price, "increment": price, "rpc": "training.Daemon/validate_model",
        "model_id": model_id, "payment_type": "train-call"}
    state = daemon.channel_state(client, channel_id)
    assert int.from_bytes(state.current_signed_amount, "big") == price
    assert len(state.current_signature) == 65
    # Unary training calls know only train-call.
    request = M.AuthValidateRequest(authorization=daemon.auth(client, "validate_model"), model_id=model_id)
    error = failure(daemon.call, "validate_model", request, M.StatusResponse,
                    metadata=daemon.payment(client, price, model_id, payment_type="escrow"))
    assert (error.code(), error.details()) == (grpc.StatusCode.INVALID_ARGUMENT,
                                               'unexpected "snet-payment-type", value: "escrow"')


def test_a_wrong_nonce_is_reported_with_the_daemons_text(daemon):
    client = daemon.stack.client
    model_id, price = _priced_model(daemon, client, "train_model_price")
    request = M.CommonRequest(authorization=daemon.auth(client, "train_model"), model_id=model_id)
    error = failure(daemon.call, "train_model", request, M.StatusResponse,
                    metadata=daemon.payment(client, price, model_id, nonce=7))
    assert error.code() == grpc.StatusCode.UNKNOWN
    assert "incorrect payment channel nonce, latest: 0, sent: 7" in error.details()


def test_a_second_paid_call_on_a_busy_channel_is_refused(daemon):
    client = daemon.stack.client
    model_id, price = _priced_model(daemon, client)
    metadata = daemon.payment(client, price, model_id)
    upload_started = threading.Event()

    def slow_chunks():
        yield M.UploadAndValidateRequest(authorization=daemon.auth(client, "upload_and_validate"),
                                         upload_input=M.UploadInput(model_id=model_id, data=b"x", batch_number=1))
        upload_started.set()
        time.sleep(1.0)

    # No payment type on the stream: escrow, the stream default.
    upload_metadata = [(k, v) for k, v in metadata if k != "snet-payment-type"]
    uploaded = []
    thread = threading.Thread(target=lambda: uploaded.append(daemon.upload(slow_chunks(), upload_metadata)))
    thread.start()
    upload_started.wait(5)
    request = M.AuthValidateRequest(authorization=daemon.auth(client, "validate_model"), model_id=model_id)
    error = failure(daemon.call, "validate_model", request, M.StatusResponse, metadata=metadata)
    thread.join(10)
    channel_id = daemon.channel_id(client)
    assert (error.code(), error.details()) == (grpc.StatusCode.FAILED_PRECONDITION,
                                               f"another transaction on channel: {{ID: {channel_id}}} is in progress")
    assert uploaded[0].status == 1
    assert [(e["rpc"], e["payment_type"]) for e in daemon.control.journal()] == [
        ("training.Daemon/upload_and_validate", "escrow")]


def test_upload_rechecks_every_chunk_and_rolls_back_the_payment(daemon):
    client = daemon.stack.client
    model_id, price = _priced_model(daemon, client)
    metadata = daemon.payment(client, price, model_id, payment_type="escrow")
    auth = daemon.auth(client, "upload_and_validate")

    def stale_after_first():
        yield M.UploadAndValidateRequest(authorization=auth, upload_input=M.UploadInput(
            model_id=model_id, data=b"a" * 10, batch_number=1, batch_count=2))
        deadline = time.monotonic() + 5
        while not daemon.control.model(model_id)["uploads"] and time.monotonic() < deadline:
            time.sleep(0.01)  # let the daemon take chunk 1 before the chain moves on
        daemon.stack.mine(6)
        yield M.UploadAndValidateRequest(authorization=auth, upload_input=M.UploadInput(
            model_id=model_id, data=b"b" * 10, batch_number=2, batch_count=2))

    error = failure(daemon.upload, stale_after_first(), metadata)
    assert error.details() == ("invalid request: no authorization provided: "
                               "authentication failed as the signature passed has expired")
    assert daemon.control.journal() == []
    [upload] = daemon.control.model(model_id)["uploads"]
    assert (len(upload["chunks"]), upload["complete"]) == (1, False)

    data = [b"first chunk", b"second chunk"]

    def fresh_each_time():
        for number, chunk in enumerate(data, 1):
            yield M.UploadAndValidateRequest(authorization=daemon.auth(client, "upload_and_validate"),
                                             upload_input=M.UploadInput(model_id=model_id, data=chunk,
                                                                        file_name="d.zip", batch_number=number))
            deadline = time.monotonic() + 5
            while _chunks_taken(daemon, model_id) < number and time.monotonic() < deadline:
                time.sleep(0.01)  # the daemon has read this chunk: now the chain moves on
            daemon.stack.mine(3)

    assert daemon.upload(fresh_each_time(), metadata).status == 1  # VALIDATING
    upload = daemon.control.model(model_id)["uploads"][-1]
    assert (upload["sha256"], upload["size"], upload["complete"]) == (
        hashlib.sha256(b"".join(data)).hexdigest(), sum(map(len, data)), True)
    assert [e["rpc"] for e in daemon.control.journal()] == ["training.Daemon/upload_and_validate"]
    time.sleep(0.35)
    assert daemon.get_model(client, model_id).status == 2  # VALIDATED


def _chunks_taken(daemon, model_id: str) -> int:
    """Chunks the daemon has read of the model's second upload (the first one in that test is refused)."""
    uploads = daemon.control.model(model_id)["uploads"]
    return len(uploads[1]["chunks"]) if len(uploads) > 1 else 0


def test_reset_is_fast(daemon):
    daemon.create(daemon.stack.client)
    started = time.perf_counter()
    answer = daemon.control.reset()
    assert time.perf_counter() - started < 0.1
    assert answer["reset_seconds"] < 0.01
    assert daemon.control.models() == []
