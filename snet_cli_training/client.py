"""DaemonClient: one method per training RPC of a SingularityNET daemon; gRPC errors become typed errors here."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import grpc

from snet_cli_training import errors, protocol

MAX_MESSAGE_BYTES = 8 * 1024 * 1024
DEFAULT_TIMEOUT = 30.0
DEFAULT_UPLOAD_TIMEOUT = 3600.0
# An upload chunk re-signs once its authorization is this many blocks old; the daemon
# allows 5, and its node may lag ours.
UPLOAD_RESIGN_BLOCKS = 2

METHOD_METADATA_FIELDS = (
    "default_model_id", "max_models_per_user", "dataset_max_size_mb", "dataset_max_count_files",
    "dataset_max_size_single_file_mb", "dataset_files_type", "dataset_type", "dataset_description",
)

_TRAINING_DISABLED_TEXT = "service end point is not defined or is invalid"
_PAYMENT_TEXTS = ("income", "not enough tokens", "incorrect payment channel nonce", "payment channel",
                  "another transaction on channel", "payment signature", "payment is not signed",
                  "snet-payment-type")
_AUTHORIZATION_TEXTS = ("signature passed has expired", "bad authorization provided", "incorrect signature",
                        "no authorization provided", "does not match to what has been expected",
                        "unsupported message")
_UPLOAD_BUG_TEXT = "WrapperServerStream: unexpected message type"
_CREATOR_ACTIONS = {
    "validate_model_price": "ask its validation price", "upload_and_validate": "upload its dataset",
    "validate_model": "validate it", "train_model_price": "ask its training price", "train_model": "train it",
    "delete_model": "delete it", "update_model": "update it",
}


@dataclass(frozen=True)
class ChannelState:
    """The daemon's view of a payment channel (GetChannelState), numbers as ints."""

    current_nonce: int
    current_signed_amount: int
    current_signature: bytes
    old_nonce_signed_amount: int
    old_nonce_signature: bytes


def parse_endpoint(endpoint: str) -> tuple[str, bool]:
    """`https://host[:port][/]` → ("host:port", True); `http://...` and bare `host:port` → plain."""
    text = endpoint.strip()
    secure = text.lower().startswith("https://")
    scheme_port = ""
    if "://" in text:
        scheme, text = text.split("://", 1)
        scheme_port = {"https": "443", "http": "80"}.get(scheme.lower(), "")
        if not scheme_port:
            raise errors.UserInputError(f"unsupported daemon endpoint {endpoint!r}: use http://, https:// or host:port")
    text = text.split("/", 1)[0]
    if not text:
        raise errors.UserInputError(f"daemon endpoint {endpoint!r} has no host")
    if scheme_port and not _has_port(text):
        text = f"{text}:{scheme_port}"
    return text, secure


def _has_port(host: str) -> bool:
    if host.startswith("["):
        return "]:" in host
    return ":" in host


def open_channel(endpoint: str) -> grpc.Channel:
    """A gRPC channel to the daemon: TLS for https://, plain otherwise, with 8 MiB message limits."""
    target, secure = parse_endpoint(endpoint)
    options = [("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
               ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)]
    if secure:
        return grpc.secure_channel(target, grpc.ssl_channel_credentials(), options=options)
    return grpc.insecure_channel(target, options=options)


def map_rpc_error(error: grpc.RpcError, *, endpoint: str, rpc: str, model_id: str = "",
                  signer_address: str = "") -> errors.DaemonError:
    """The one translation of a daemon's gRPC failure into the plugin's exceptions."""
    code = error.code() if hasattr(error, "code") else None
    details = (error.details() if hasattr(error, "details") else "") or ""
    code_name = code.name if code is not None else ""
    context = {"endpoint": endpoint, "code": code_name, "details": details}
    text = details.lower()
    model = f"model {model_id}" if model_id else "the model"

    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        reason = "no answer before the deadline" if code == grpc.StatusCode.DEADLINE_EXCEEDED else details
        return errors.DaemonUnavailable(f"daemon at {endpoint} is unreachable: {reason}", **context)
    if _TRAINING_DISABLED_TEXT in text:
        return errors.TrainingDisabled(
            f"training is not enabled on the daemon at {endpoint} (it says: {details.strip()})", **context)
    if code == grpc.StatusCode.UNIMPLEMENTED or 'missing "snet-payment-channel-id"' in text:
        return errors.TrainingDisabled(f"the daemon at {endpoint} has no training support", **context)
    if any(fragment in text for fragment in _PAYMENT_TEXTS):
        return errors.PaymentError(f"the daemon at {endpoint} refused the payment for {rpc}: {_unwrap(details)}",
                                   **context)
    if any(fragment in text for fragment in _AUTHORIZATION_TEXTS):
        return errors.AuthorizationExpired(
            f"the daemon at {endpoint} refused the signed authorization for {rpc}: {_unwrap(details)}", **context)
    if "does not have access to model id" in text:
        who = signer_address or "this identity"
        return errors.ModelNotFound(f"{model} not found or not visible to {who}", **context)
    if "model data doesn't exist for modelid" in text:
        return errors.ModelNotFound(f"{model} not found on the daemon at {endpoint}", **context)
    if "only owner can change the model state" in text:
        action = _CREATOR_ACTIONS.get(rpc, f"call {rpc} on it")
        return errors.AccessDenied(f"only the model's creator can {action} ({model})", **context)
    if _UPLOAD_BUG_TEXT in details:
        return errors.DaemonError(
            f"the daemon at {endpoint} cannot receive uploads (a known bug of snet-daemon v6.2.0-v6.2.3; "
            f"nothing was charged): {details}", **context)
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        return errors.DaemonError(f"the daemon at {endpoint} refused {rpc} as too large or too frequent: {details}",
                                  **context)
    return errors.DaemonError(f"the daemon at {endpoint} refused {rpc}: {details or code_name}", **context)


def _unwrap(details: str) -> str:
    """Python's rendering of the daemon's custom code 1000 wraps the real text; show that text."""
    marker = 'Server sent unknown code None and details "'
    if details.startswith(marker) and details.endswith('"'):
        return details[len(marker):-1]
    return details


def model_to_dict(model: Any, org_id: str, service_id: str, group_name: str) -> dict:
    """A ModelResponse as the JSON object of CLI.md (status by name)."""
    return {
        "model_id": model.model_id,
        "status": _status_name(model.status),
        "name": model.name,
        "description": model.description,
        "grpc_service_name": model.grpc_service_name,
        "grpc_method_name": model.grpc_method_name,
        "is_public": model.is_public,
        "address_list": list(model.address_list),
        "training_data_link": model.training_data_link,
        "created_by_address": model.created_by_address,
        "updated_by_address": model.updated_by_address,
        "created_date": model.created_date,
        "updated_date": model.updated_date,
        "org_id": org_id,
        "service_id": service_id,
        "group_name": group_name,
    }


def _status_name(status: int) -> str:
    return protocol.STATUS_NAMES[status] if 0 <= status < len(protocol.STATUS_NAMES) else str(status)


def _status_number(status: str | int) -> int:
    if isinstance(status, int):
        return status
    try:
        return protocol.STATUS_NAMES.index(status.upper())
    except ValueError:
        raise errors.UserInputError(
            f"unknown model status {status!r}: use one of {', '.join(protocol.STATUS_NAMES)}") from None


def _uint_from_bytes(data: bytes) -> int:
    return int.from_bytes(data, "big") if data else 0


class DaemonClient:
    """The training API of one daemon endpoint.

    `authorizer` hands out AuthorizationDetails by RPC name (auth.Authorizer). Paid RPCs take
    the payment headers, built elsewhere, as `payment_metadata`.
    """

    def __init__(self, endpoint: str, authorizer: Any, *, timeout: float = DEFAULT_TIMEOUT,
                 upload_timeout: float = DEFAULT_UPLOAD_TIMEOUT, channel: grpc.Channel | None = None) -> None:
        self.endpoint = endpoint
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
                     address_list: Sequence[str] = (), is_public: bool = False) -> Any:
        """A new model for a (short) service and method name; returns its ModelResponse."""
        model = self._messages.NewModel(name=name, description=description, grpc_service_name=grpc_service_name,
                                        grpc_method_name=grpc_method_name, address_list=list(address_list),
                                        is_public=is_public)
        return self._authorized("create_model", lambda auth: self._messages.NewModelRequest(
            authorization=auth, model=model), self._messages.ModelResponse)

    def validate_model_price(self, model_id: str, training_data_link: str = "") -> int:
        """The validation price in cogs (the daemon also stores it for the paid call)."""
        response = self._authorized("validate_model_price", lambda auth: self._messages.AuthValidateRequest(
            authorization=auth, model_id=model_id, training_data_link=training_data_link),
            self._messages.PriceInBaseUnit, model_id=model_id)
        return response.price

    def upload_and_validate(self, requests: Iterable[Any], *, payment_metadata: Sequence[tuple[str, Any]] = (),
                            timeout: float | None = None) -> str:
        """Stream a dataset: UploadInput messages (or UploadAndValidateRequest ones); returns the status name.

        Each message gets an authorization of its own, re-signed as blocks pass, because the daemon
        checks every chunk against its latest block. No retry: the stream is consumed.
        """
        rpc = "upload_and_validate"
        feeder = _UploadFeeder(requests, self.authorizer, self._messages)
        call = self._channel.stream_unary(
            protocol.method_path(protocol.DAEMON_SERVICE, rpc),
            request_serializer=self._messages.UploadAndValidateRequest.SerializeToString,
            response_deserializer=self._messages.StatusResponse.FromString)
        future = call.future(iter(feeder), timeout=timeout or self.upload_timeout, metadata=list(payment_metadata))
        feeder.attach(future)
        try:
            response = future.result()
        except grpc.FutureCancelledError:
            raise feeder.failure or errors.DaemonError(f"the upload to {self.endpoint} was cancelled",
                                                       endpoint=self.endpoint) from None
        except grpc.RpcError as exc:
            if feeder.failure is not None:
                raise feeder.failure from None
            raise self._mapped(exc, rpc, feeder.model_id) from exc
        except BaseException:
            future.cancel()
            raise
        return _status_name(response.status)

    def validate_model(self, model_id: str, training_data_link: str, *,
                       payment_metadata: Sequence[tuple[str, Any]] = ()) -> str:
        """Ask the provider to validate the dataset at a link (paid); returns the status name."""
        response = self._authorized("validate_model", lambda auth: self._messages.AuthValidateRequest(
            authorization=auth, model_id=model_id, training_data_link=training_data_link),
            self._messages.StatusResponse, model_id=model_id, metadata=payment_metadata)
        return _status_name(response.status)

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
        return _status_name(response.status)

    def delete_model(self, model_id: str) -> str:
        """Delete a model (creator only); returns the status name (DELETED)."""
        response = self._authorized("delete_model", lambda auth: self._messages.CommonRequest(
            authorization=auth, model_id=model_id), self._messages.StatusResponse, model_id=model_id)
        return _status_name(response.status)

    def get_all_models(self, *, statuses: Sequence[str | int] = (), is_public: bool | None = None,
                       grpc_service_name: str = "", grpc_method_name: str = "", name: str = "",
                       created_by_address: str = "", page: int = 0, page_size: int = 0) -> list:
        """The models visible to the signer, in the daemon's order (one page when page/page_size are set)."""
        status_numbers = [_status_number(status) for status in statuses]

        def build(auth: Any) -> Any:
            request = self._messages.AllModelsRequest(
                authorization=auth, statuses=status_numbers, grpc_service_name=grpc_service_name,
                grpc_method_name=grpc_method_name, name=name, created_by_address=created_by_address,
                page=page, page_size=page_size)
            if is_public is not None:
                request.is_public = is_public
            return request

        response = self._authorized("get_all_models", build, self._messages.ModelsResponse)
        return list(response.list_of_models)

    def get_model(self, model_id: str) -> Any:
        """A model's record with its freshest status (the daemon asks the provider)."""
        return self._authorized("get_model", lambda auth: self._messages.CommonRequest(
            authorization=auth, model_id=model_id), self._messages.ModelResponse, model_id=model_id)

    def update_model(self, model_id: str, *, name: str | None = None, description: str | None = None,
                     address_list: Sequence[str] = ()) -> Any:
        """Change name, description and (when non-empty) the address list; returns the updated model."""
        def build(auth: Any) -> Any:
            request = self._messages.UpdateModelRequest(authorization=auth, model_id=model_id,
                                                        address_list=list(address_list))
            if name is not None:
                request.model_name = name
            if description is not None:
                request.description = description
            return request

        return self._authorized("update_model", build, self._messages.ModelResponse, model_id=model_id)

    def get_training_metadata(self) -> dict:
        """{"trainingEnabled", "trainingInProto", "trainingMethods": {short service: [methods]}}."""
        response = self._unary("get_training_metadata", self._messages.Empty(), self._messages.TrainingMetadata)
        methods = {service: [value.string_value for value in methods.values]
                   for service, methods in sorted(response.trainingMethods.items())}
        return {"trainingEnabled": response.trainingEnabled, "trainingInProto": response.trainingInProto,
                "trainingMethods": methods}

    def get_method_metadata(self, *, grpc_service_name: str = "", grpc_method_name: str = "",
                            model_id: str = "") -> dict:
        """The dataset limits of a method, by CLI.md's field names (0 and "" mean none declared)."""
        request = self._messages.MethodMetadataRequest(model_id=model_id, grpc_service_name=grpc_service_name,
                                                       grpc_method_name=grpc_method_name)
        response = self._unary("get_method_metadata", request, self._messages.MethodMetadata, model_id=model_id)
        return {field: getattr(response, field) for field in METHOD_METADATA_FIELDS}

    def get_channel_state(self, channel_id: int, signature: bytes, block: int) -> ChannelState:
        """The daemon's state of a payment channel; `signature` signs "__get_channel_state" at `block`."""
        request = self._messages.ChannelStateRequest(
            channel_id=channel_id.to_bytes(max(1, (channel_id.bit_length() + 7) // 8), "big"),
            signature=bytes(signature), current_block=block)
        reply = self._call(protocol.method_path(protocol.CHANNEL_STATE_SERVICE, "GetChannelState"), "GetChannelState",
                           request, self._messages.ChannelStateReply, metadata=())
        return ChannelState(
            current_nonce=_uint_from_bytes(reply.current_nonce),
            current_signed_amount=_uint_from_bytes(reply.current_signed_amount),
            current_signature=bytes(reply.current_signature),
            old_nonce_signed_amount=_uint_from_bytes(reply.old_nonce_signed_amount),
            old_nonce_signature=bytes(reply.old_nonce_signature))

    # --- plumbing ---

    def _authorized(self, rpc: str, build: Callable[[Any], Any], response_class: Any, *, model_id: str = "",
                    metadata: Sequence[tuple[str, Any]] = ()) -> Any:
        """A signed unary call; an authorization the daemon refuses is re-signed and retried once.

        Retrying a paid call is safe: the daemon rolls the payment back when the handler's own
        authorization check fails, which is the only source of AuthorizationExpired after payment.
        """
        try:
            return self._unary(rpc, build(self.authorizer.details(rpc)), response_class, model_id=model_id,
                               metadata=metadata)
        except errors.AuthorizationExpired:
            self.authorizer.invalidate()
        return self._unary(rpc, build(self.authorizer.details(rpc)), response_class, model_id=model_id,
                           metadata=metadata)

    def _unary(self, rpc: str, request: Any, response_class: Any, *, model_id: str = "",
               metadata: Sequence[tuple[str, Any]] = ()) -> Any:
        return self._call(protocol.method_path(protocol.DAEMON_SERVICE, rpc), rpc, request, response_class,
                          model_id=model_id, metadata=metadata)

    def _call(self, path: str, rpc: str, request: Any, response_class: Any, *, model_id: str = "",
              metadata: Sequence[tuple[str, Any]] = ()) -> Any:
        call = self._channel.unary_unary(path, request_serializer=type(request).SerializeToString,
                                         response_deserializer=response_class.FromString)
        try:
            return call(request, timeout=self.timeout, metadata=list(metadata))
        except grpc.RpcError as exc:
            raise self._mapped(exc, rpc, model_id) from exc

    def _mapped(self, exc: grpc.RpcError, rpc: str, model_id: str) -> errors.DaemonError:
        signer = getattr(getattr(self.authorizer, "signer", None), "address", "")
        return map_rpc_error(exc, endpoint=self.endpoint, rpc=rpc, model_id=model_id, signer_address=signer)


class _UploadFeeder:
    """Wraps the caller's upload messages with fresh authorizations.

    When the caller's iterator fails, the call must be cancelled: ending the stream would
    hand the daemon a truncated dataset as if it were whole. The exception is kept for
    upload_and_validate to raise (gRPC itself would only log it).
    """

    def __init__(self, requests: Iterable[Any], authorizer: Any, messages: Any) -> None:
        self._requests = requests
        self._authorizer = authorizer
        self._messages = messages
        self._authorization: Any = None
        self._future: Any = None
        self._attached = threading.Event()
        self.failure: BaseException | None = None
        self.model_id = ""

    def attach(self, future: Any) -> None:
        """The call this feeder feeds, so that a failure can cancel it."""
        self._future = future
        self._attached.set()

    def __iter__(self) -> Iterator[Any]:
        try:
            for item in self._requests:
                yield self._wrap(item)
        except Exception as exc:  # noqa: BLE001 - whatever it is, upload_and_validate raises it
            self.failure = exc
            self._attached.wait()
            self._future.cancel()

    def _wrap(self, item: Any) -> Any:
        if isinstance(item, self._messages.UploadInput):
            request = self._messages.UploadAndValidateRequest(upload_input=item)
        elif isinstance(item, self._messages.UploadAndValidateRequest):
            request = item
        else:
            raise TypeError(f"upload_and_validate takes UploadInput messages, not {type(item).__name__}")
        self.model_id = self.model_id or request.upload_input.model_id
        if not request.HasField("authorization"):
            request.authorization.CopyFrom(self._fresh_authorization())
        return request

    def _fresh_authorization(self) -> Any:
        block = self._authorizer.current_block()
        if self._authorization is None or block - self._authorization.current_block >= UPLOAD_RESIGN_BLOCKS:
            self._authorization = self._authorizer.details("upload_and_validate", block=block)
        return self._authorization
