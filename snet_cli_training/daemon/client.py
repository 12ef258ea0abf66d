"""DaemonClient: one method per training RPC of a SingularityNET daemon, with deadlines and typed errors.

Models come back as `Model` records, statuses as names; every gRPC failure goes through the one
error mapper (rpc_errors). Paid RPCs take the payment headers, built by payment.claim, as
`payment_metadata`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import grpc

from snet_cli_training import errors
from snet_cli_training.constants import RPC_TIMEOUT_SECONDS, UPLOAD_TIMEOUT_SECONDS, STATUSES, status_name, status_number
from snet_cli_training.daemon import protocol
from snet_cli_training.daemon.endpoint import open_channel
from snet_cli_training.daemon.replies import METHOD_METADATA_FIELDS, ChannelState, Model
from snet_cli_training.daemon.rpc_errors import map_rpc_error
from snet_cli_training.daemon.upload_feed import UploadFeed


# Reads that change nothing on the daemon: asked again when it answers UNAVAILABLE (restarting, overloaded).
# Paid and model-changing RPCs are never retried blindly: the payment journal decides about those.
RETRIED_RPCS = frozenset({"get_training_metadata", "get_method_metadata", "get_model", "get_all_models",
                          "validate_model_price", "train_model_price", "GetChannelState"})
RETRY_PAUSES = (0.3, 1.0)


def _status_numbers(statuses: Sequence[str]) -> list[int]:
    numbers = []
    for status in statuses:
        try:
            numbers.append(status_number(status))
        except ValueError:
            raise errors.UserInputError(f"unknown model status {status!r}: use one of {', '.join(STATUSES)}") from None
    return numbers


class DaemonClient:
    """The training API of one daemon endpoint; `authorizer` hands out AuthorizationDetails by RPC name."""

    def __init__(self, endpoint: str, authorizer: Any, *, timeout: float = RPC_TIMEOUT_SECONDS,
                 upload_timeout: float = UPLOAD_TIMEOUT_SECONDS, channel: grpc.Channel | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.endpoint = endpoint
        self._sleep = sleep
        self.authorizer = authorizer
        self.timeout = timeout
        self.upload_timeout = upload_timeout
        self._owns_channel = channel is None
        self._channel = channel if channel is not None else open_channel(endpoint)
        self._messages = protocol.messages()

    def close(self) -> None:
        """Close the channel if this client opened it."""
        if self._owns_channel:
            self._channel.close()

    def __enter__(self) -> DaemonClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- the daemon's RPCs ---

    def create_model(self, grpc_service_name: str, grpc_method_name: str, name: str, *, description: str = "",
                     address_list: Sequence[str] = (), is_public: bool = False) -> Model:
        """A new model for a (short) service and method name."""
        model = self._messages.NewModel(name=name, description=description, grpc_service_name=grpc_service_name,
                                        grpc_method_name=grpc_method_name, address_list=list(address_list),
                                        is_public=is_public)
        response = self._authorized("create_model", lambda auth: self._messages.NewModelRequest(
            authorization=auth, model=model), self._messages.ModelResponse)
        return Model.from_response(response)

    def validate_model_price(self, model_id: str, training_data_link: str = "") -> int:
        """The validation price in cogs (the daemon also stores it for the paid call)."""
        response = self._authorized("validate_model_price", lambda auth: self._messages.AuthValidateRequest(
            authorization=auth, model_id=model_id, training_data_link=training_data_link),
            self._messages.PriceInBaseUnit, model_id=model_id)
        return response.price

    def upload_and_validate(self, requests: Iterable[Any], *, payment_metadata: Sequence[tuple[str, Any]] = (),
                            timeout: float | None = None, canary: Any = None) -> str:
        """Stream a dataset: UploadInput messages (or UploadAndValidateRequest ones); returns the status name.

        Each message gets an authorization of its own, re-signed as blocks pass; `canary` (an
        UploadInput) goes first without one. No retry: the stream is consumed.
        """
        rpc = "upload_and_validate"
        feed = UploadFeed(requests, self.authorizer, self._messages, canary)
        call = self._channel.stream_unary(
            protocol.method_path(protocol.DAEMON_SERVICE, rpc),
            request_serializer=self._messages.UploadAndValidateRequest.SerializeToString,
            response_deserializer=self._messages.StatusResponse.FromString)
        future = call.future(iter(feed), timeout=timeout or self.upload_timeout, metadata=list(payment_metadata))
        feed.attach(future)
        try:
            response = future.result()
        except grpc.FutureCancelledError:
            raise feed.failure or errors.DaemonError(f"the upload to {self.endpoint} was cancelled",
                                                     endpoint=self.endpoint) from None
        except grpc.RpcError as exc:
            if feed.failure is not None:
                raise feed.failure from None
            raise self._mapped(exc, rpc, feed.model_id) from exc
        except BaseException:
            future.cancel()
            raise
        return status_name(response.status)

    def validate_model(self, model_id: str, training_data_link: str, *,
                       payment_metadata: Sequence[tuple[str, Any]] = ()) -> str:
        """Ask the provider to validate the dataset at a link (paid); returns the status name."""
        response = self._authorized("validate_model", lambda auth: self._messages.AuthValidateRequest(
            authorization=auth, model_id=model_id, training_data_link=training_data_link),
            self._messages.StatusResponse, model_id=model_id, metadata=payment_metadata)
        return status_name(response.status)

    def train_model_price(self, model_id: str) -> int:
        """The training price in cogs (the daemon also stores it for the paid call)."""
        response = self._authorized("train_model_price", lambda auth: self._messages.CommonRequest(
            authorization=auth, model_id=model_id), self._messages.PriceInBaseUnit, model_id=model_id)
        return response.price

    def train_model(self, model_id: str, *, payment_metadata: Sequence[tuple[str, Any]] = ()) -> str:
        """Start training (paid); returns the status name."""
        response = self._authorized("train_model", lambda auth: self._messages.CommonRequest(
            authorization=auth, model_id=model_id), self._messages.StatusResponse, model_id=model_id,
            metadata=payment_metadata)
        return status_name(response.status)

    def delete_model(self, model_id: str) -> str:
        """Delete a model (creator only); returns the status name (DELETED)."""
        response = self._authorized("delete_model", lambda auth: self._messages.CommonRequest(
            authorization=auth, model_id=model_id), self._messages.StatusResponse, model_id=model_id)
        return status_name(response.status)

    def get_all_models(self, *, statuses: Sequence[str] = (), is_public: bool | None = None,
                       grpc_service_name: str = "", grpc_method_name: str = "", name: str = "",
                       created_by_address: str = "", page: int = 0, page_size: int = 0) -> list[Model]:
        """The models visible to the signer, in the daemon's order (one page when page/page_size are set)."""
        numbers = _status_numbers(statuses)

        def build(auth: Any) -> Any:
            request = self._messages.AllModelsRequest(
                authorization=auth, statuses=numbers, grpc_service_name=grpc_service_name,
                grpc_method_name=grpc_method_name, name=name, created_by_address=created_by_address,
                page=page, page_size=page_size)
            if is_public is not None:
                request.is_public = is_public
            return request

        response = self._authorized("get_all_models", build, self._messages.ModelsResponse)
        return [Model.from_response(model) for model in response.list_of_models]

    def get_model(self, model_id: str, *, timeout: float | None = None) -> Model:
        """A model's record with its freshest status (the daemon asks the provider); `timeout` shortens the deadline."""
        response = self._authorized("get_model", lambda auth: self._messages.CommonRequest(
            authorization=auth, model_id=model_id), self._messages.ModelResponse, model_id=model_id, timeout=timeout)
        return Model.from_response(response)

    def update_model(self, model_id: str, *, name: str | None = None, description: str | None = None,
                     address_list: Sequence[str] = ()) -> Model:
        """Change name, description and (when non-empty) the address list; returns the updated model."""
        def build(auth: Any) -> Any:
            request = self._messages.UpdateModelRequest(authorization=auth, model_id=model_id,
                                                        address_list=list(address_list))
            if name is not None:
                request.model_name = name
            if description is not None:
                request.description = description
            return request

        response = self._authorized("update_model", build, self._messages.ModelResponse, model_id=model_id)
        return Model.from_response(response)

    def get_training_metadata(self) -> dict:
        """{"trainingEnabled", "trainingInProto", "trainingMethods": {short service: [methods]}} (no signature)."""
        response = self._unary("get_training_metadata", self._messages.Empty(), self._messages.TrainingMetadata)
        methods = {service: [value.string_value for value in methods.values]
                   for service, methods in sorted(response.trainingMethods.items())}
        return {"trainingEnabled": response.trainingEnabled, "trainingInProto": response.trainingInProto,
                "trainingMethods": methods}

    def get_method_metadata(self, grpc_service_name: str, grpc_method_name: str) -> dict:
        """A method's dataset limits by the docs' field names (0 and "" mean none declared); no signature.

        Asked by short service and method name with an empty model id: an unknown model id crashes
        released daemons (docs/daemon-releases.md#hazards).
        """
        request = self._messages.MethodMetadataRequest(grpc_service_name=grpc_service_name,
                                                       grpc_method_name=grpc_method_name)
        response = self._unary("get_method_metadata", request, self._messages.MethodMetadata)
        return {field: getattr(response, field) for field in METHOD_METADATA_FIELDS}

    def get_channel_state(self, channel_id: int, signature: bytes, block: int) -> ChannelState:
        """The daemon's state of a payment channel; `signature` signs "__get_channel_state" at `block`."""
        request = self._messages.ChannelStateRequest(
            channel_id=channel_id.to_bytes(max(1, (channel_id.bit_length() + 7) // 8), "big"),
            signature=bytes(signature), current_block=block)
        reply = self._call(protocol.method_path(protocol.CHANNEL_STATE_SERVICE, "GetChannelState"), "GetChannelState",
                           request, self._messages.ChannelStateReply)
        return ChannelState.from_reply(reply)

    def call_service(self, stub_method: Callable[..., Any], request: Any, *, rpc: str, model_id: str,
                     payment_metadata: Sequence[tuple[str, Any]]) -> Any:
        """A paid call of the service's own method (a stub bound to this daemon), errors mapped like the RPCs'."""
        try:
            return stub_method(request, metadata=list(payment_metadata), timeout=self.timeout)
        except grpc.RpcError as exc:
            raise self._mapped(exc, rpc, model_id) from exc

    def service_channel(self) -> grpc.Channel:
        """The gRPC channel to this daemon, for the service's own stubs."""
        return self._channel

    # --- plumbing ---

    def _authorized(self, rpc: str, build: Callable[[Any], Any], response_class: Any, *, model_id: str = "",
                    metadata: Sequence[tuple[str, Any]] = (), timeout: float | None = None) -> Any:
        """A signed unary call; an authorization the daemon refuses is re-signed and retried once.

        Retrying a paid call is safe: the daemon rolls the payment back when the handler's own
        authorization check fails, which is the only source of AuthorizationExpired after payment.
        """
        try:
            return self._unary(rpc, build(self.authorizer.details(rpc)), response_class, model_id=model_id,
                               metadata=metadata, timeout=timeout)
        except errors.AuthorizationExpired:
            self.authorizer.invalidate()
        return self._unary(rpc, build(self.authorizer.details(rpc)), response_class, model_id=model_id,
                           metadata=metadata, timeout=timeout)

    def _unary(self, rpc: str, request: Any, response_class: Any, *, model_id: str = "",
               metadata: Sequence[tuple[str, Any]] = (), timeout: float | None = None) -> Any:
        return self._call(protocol.method_path(protocol.DAEMON_SERVICE, rpc), rpc, request, response_class,
                          model_id=model_id, metadata=metadata, timeout=timeout)

    def _call(self, path: str, rpc: str, request: Any, response_class: Any, *, model_id: str = "",
              metadata: Sequence[tuple[str, Any]] = (), timeout: float | None = None) -> Any:
        call = self._channel.unary_unary(path, request_serializer=type(request).SerializeToString,
                                         response_deserializer=response_class.FromString)
        pauses = iter(RETRY_PAUSES if rpc in RETRIED_RPCS and not metadata else ())
        while True:
            try:
                return call(request, timeout=min(self.timeout, timeout) if timeout is not None else self.timeout,
                            metadata=list(metadata))
            except grpc.RpcError as exc:
                pause = next(pauses, None) if exc.code() == grpc.StatusCode.UNAVAILABLE else None
                if pause is None:
                    raise self._mapped(exc, rpc, model_id) from exc
                self._sleep(pause)

    def _mapped(self, exc: grpc.RpcError, rpc: str, model_id: str) -> errors.DaemonError:
        signer = getattr(getattr(self.authorizer, "signer", None), "address", "")
        return map_rpc_error(exc, endpoint=self.endpoint, rpc=rpc, model_id=model_id, signer_address=signer)
