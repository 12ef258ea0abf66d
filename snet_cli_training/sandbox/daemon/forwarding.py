"""A provider's own process behind the double, reached the way snet-daemon reaches it.

Training calls go to the provider's `training.Model` service (docs/protocol.md#per-rpc-semantics:
create_model gets the NewModel with organization, service and group filled in; prices, uploads,
validation and training are forwarded; get_model asks get_model_status), and calls of the
service's own methods go to the same endpoint with the channel's sender in `snet-user-address`.
The daemon keeps the model records; failures come back in the daemon's words.
"""

from __future__ import annotations

import queue
from typing import Any

import grpc

from snet_cli_training.sandbox import protocol
from snet_cli_training.sandbox.daemon.failure import Failure
from snet_cli_training.sandbox.daemon.provider import VALIDATING

MODEL_SERVICE = "/training.Model/"
CALL_SECONDS = 60         # snet-daemon's deadline for the provider's training calls
STATUS_SECONDS = 20       # and for get_model_status
UPLOAD_SECONDS = 3600
USER_ADDRESS = "snet-user-address"


def go_error(error: grpc.RpcError) -> str:
    """A gRPC error as a Go client prints it (`rpc error: code = Unknown desc = ...`), as the daemon quotes it."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    name = "".join(part.capitalize() for part in code.name.split("_"))
    details = error.details() if hasattr(error, "details") else str(error)
    return f"rpc error: code = {name} desc = {details}"


class ForwardedUpload:
    """One upload stream to the provider, fed message by message as the daemon checks them."""

    def __init__(self, call: Any) -> None:
        self.call = call
        self.messages: queue.Queue = queue.Queue(maxsize=16)
        self.future: Any = None

    def _stream(self) -> Any:
        while (item := self.messages.get()) is not None:
            yield item

    def _put(self, item: Any) -> None:
        # A provider that ended the stream early stops reading it: never block on it forever.
        while True:
            try:
                self.messages.put(item, timeout=0.5)
                return
            except queue.Full:
                if self.future.done():
                    return

    def send(self, upload_input: Any) -> None:
        if self.future is None:
            self.future = self.call.future(self._stream(), timeout=UPLOAD_SECONDS)
        self._put(upload_input)

    def finish(self, model_id: str) -> int:
        if self.future is None:
            return VALIDATING
        self._put(None)
        try:
            return self.future.result().status
        except grpc.RpcError:
            # snet-daemon loses a provider's error at the end of an upload and answers VALIDATING.
            return VALIDATING

    def abort(self) -> None:
        if self.future is not None:
            self.future.cancel()
            self._put(None)


class ForwardingProvider:
    """training.Model and the service's methods at `target` (HOST:PORT, plaintext gRPC)."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.channel = grpc.insecure_channel(target)
        m = protocol.messages()
        self.m = m
        self._create = self._rpc("create_model", m.NewModel, m.ModelID)
        self._validate_price = self._rpc("validate_model_price", m.ValidateRequest, m.PriceInBaseUnit)
        self._train_price = self._rpc("train_model_price", m.ModelID, m.PriceInBaseUnit)
        self._validate = self._rpc("validate_model", m.ValidateRequest, m.StatusResponse)
        self._train = self._rpc("train_model", m.ModelID, m.StatusResponse)
        self._delete = self._rpc("delete_model", m.ModelID, m.StatusResponse)
        self._status = self._rpc("get_model_status", m.ModelID, m.StatusResponse)
        self._upload = self.channel.stream_unary(MODEL_SERVICE + "upload_and_validate",
                                                 request_serializer=m.UploadInput.SerializeToString,
                                                 response_deserializer=m.StatusResponse.FromString)

    def _rpc(self, name: str, request: type, response: type) -> Any:
        return self.channel.unary_unary(MODEL_SERVICE + name, request_serializer=request.SerializeToString,
                                        response_deserializer=response.FromString)

    @staticmethod
    def _ask(call: Any, request: Any, failure: str, seconds: float = CALL_SECONDS, detailed: bool = True) -> Any:
        try:
            return call(request, timeout=seconds)
        except grpc.RpcError as exc:
            raise Failure(f"{failure}: {go_error(exc)}" if detailed else failure) from None

    def reset(self) -> None:
        """The provider's own state is the provider's: nothing to reset here."""

    def create_model(self, new_model: Any) -> str:
        return self._ask(self._create, new_model, "error in invoking service for model training").model_id

    def validate_price(self, model_id: str, training_data_link: str = "") -> int:
        request = self.m.ValidateRequest(model_id=model_id, training_data_link=training_data_link)
        return self._ask(self._validate_price, request, "issue with service").price

    def train_price(self, model_id: str) -> int:
        return self._ask(self._train_price, self.m.ModelID(model_id=model_id), "issue with service").price

    def upload(self) -> ForwardedUpload:
        return ForwardedUpload(self._upload)

    def start_validation(self, model_id: str, training_data_link: str = "") -> int:
        request = self.m.ValidateRequest(model_id=model_id, training_data_link=training_data_link)
        return self._ask(self._validate, request, "issue with service").status

    def start_training(self, model_id: str) -> int:
        return self._ask(self._train, self.m.ModelID(model_id=model_id), "issue with service").status

    def status(self, model_id: str, stored: int) -> int:
        return self._ask(self._status, self.m.ModelID(model_id=model_id),
                         "error in invoking GetModelStatus, service-provider should realize it",
                         STATUS_SECONDS, detailed=False).status

    def delete_model(self, model_id: str) -> None:
        self._ask(self._delete, self.m.ModelID(model_id=model_id),
                  "error in invoking DeleteModel, service-provider should realize it", detailed=False)

    def forget(self, model_id: str) -> None:
        """Statuses are the provider's: nothing of its own to forget."""

    def answer(self, method: Any, request: Any, user: str) -> tuple[Any, str]:
        call = self.channel.unary_unary(method.path, request_serializer=method.request.SerializeToString,
                                        response_deserializer=method.response.FromString)
        try:
            response = call(request, metadata=[(USER_ADDRESS, user)], timeout=CALL_SECONDS)
        except grpc.RpcError as exc:
            raise Failure(exc.details() or "", exc.code()) from None
        return response, _model_id_of(request)


def _model_id_of(request: Any) -> str:
    """The id in the request's training.ModelID field, or ""."""
    for field in request.DESCRIPTOR.fields:
        if field.message_type is not None and field.message_type.full_name == "training.ModelID":
            return getattr(request, field.name).model_id
    return ""
