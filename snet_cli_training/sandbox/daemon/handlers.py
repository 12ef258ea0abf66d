"""gRPC handlers: training.Daemon, escrow.PaymentChannelStateService and the proxied service."""

from __future__ import annotations

import hashlib
import time
from typing import Any
from collections.abc import Callable, Iterator

import grpc
from snet_cli_training.sandbox import protocol
from snet_cli_training.sandbox.daemon.auth import AuthFailure, check_authorization, same_address
from snet_cli_training.sandbox.daemon.chain_view import ChainView
from snet_cli_training.sandbox.daemon.config import Faults, ProviderConfig
from snet_cli_training.sandbox.daemon.payment import PaymentError, PaymentGate, PaymentRequest, Transaction
from snet_cli_training.sandbox.daemon.provider import DELETED, READY_TO_USE, VALIDATING, Provider
from snet_cli_training.sandbox.daemon.service_spec import ServiceSpec
from snet_cli_training.sandbox.daemon.store import ModelRecord, ModelStore

TRAINING_DISABLED = "service end point is not defined or is invalid , please contact the AI developer"
UNAVAILABLE = "No requests are currently being processed, please try again later"
NO_AUTH = "invalid request: no authorization provided"
BAD_AUTH = "invalid request: bad authorization provided"
EMPTY_ID = "invalid request: model id can't be empty"
ACCESS = "unable to access model"
NOT_OWNER = "error in updating model state: only owner can change the model state"


class Failure(Exception):
    """An RPC error: gRPC code (UNKNOWN for the daemon's plain Go errors) and text."""

    def __init__(self, message: str, code: Any = grpc.StatusCode.UNKNOWN) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _metadata(context: grpc.ServicerContext) -> dict[str, list]:
    found: dict[str, list] = {}
    for item in context.invocation_metadata() or ():
        found.setdefault(item.key, []).append(item.value)
    return found


class DaemonHandlers:
    def __init__(self, chain: ChainView, store: ModelStore, provider: Provider, payments: PaymentGate,
                 spec: ServiceSpec, config: ProviderConfig, faults: Faults, service_price: int) -> None:
        self.chain, self.store, self.provider, self.payments = chain, store, provider, payments
        self.spec, self.config, self.faults, self.service_price = spec, config, faults, service_price
        self.m = protocol.messages()

    # ---- registration -------------------------------------------------------------------------

    def generic_handlers(self) -> list[grpc.GenericRpcHandler]:
        m = self.m
        unary = {
            "create_model": (m.NewModelRequest, m.ModelResponse, self.create_model, None),
            "validate_model_price": (m.AuthValidateRequest, m.PriceInBaseUnit, self.validate_model_price, None),
            "validate_model": (m.AuthValidateRequest, m.StatusResponse, self.validate_model, "validate"),
            "train_model_price": (m.CommonRequest, m.PriceInBaseUnit, self.train_model_price, None),
            "train_model": (m.CommonRequest, m.StatusResponse, self.train_model, "train"),
            "delete_model": (m.CommonRequest, m.StatusResponse, self.delete_model, None),
            "get_all_models": (m.AllModelsRequest, m.ModelsResponse, self.get_all_models, None),
            "get_model": (m.CommonRequest, m.ModelResponse, self.get_model, None),
            "update_model": (m.UpdateModelRequest, m.ModelResponse, self.update_model, None),
            "get_training_metadata": (m.Empty, m.TrainingMetadata, self.get_training_metadata, None),
            "get_method_metadata": (m.MethodMetadataRequest, m.MethodMetadata, self.get_method_metadata, None),
        }
        daemon = {name: grpc.unary_unary_rpc_method_handler(
            self._unary_daemon(name, fn, price_kind), request_deserializer=req.FromString,
            response_serializer=resp.SerializeToString) for name, (req, resp, fn, price_kind) in unary.items()}
        daemon["upload_and_validate"] = grpc.stream_unary_rpc_method_handler(
            self._upload, request_deserializer=m.UploadAndValidateRequest.FromString,
            response_serializer=m.StatusResponse.SerializeToString)
        state = {"GetChannelState": grpc.unary_unary_rpc_method_handler(
            self._channel_state, request_deserializer=m.ChannelStateRequest.FromString,
            response_serializer=m.ChannelStateReply.SerializeToString)}
        handlers = [grpc.method_handlers_generic_handler(protocol.DAEMON_SERVICE, daemon),
                    grpc.method_handlers_generic_handler(protocol.CHANNEL_STATE_SERVICE, state)]
        services: dict[str, dict] = {}
        for method in self.spec.methods:
            services.setdefault(method.service, {})[method.name] = grpc.unary_unary_rpc_method_handler(
                self._proxied(method), request_deserializer=method.request.FromString,
                response_serializer=method.response.SerializeToString)
        handlers += [grpc.method_handlers_generic_handler(name, methods) for name, methods in services.items()]
        return handlers

    # ---- shared plumbing ----------------------------------------------------------------------

    def _faults(self, rpc: str) -> None:
        seconds = self.faults.stall_seconds(rpc)
        if seconds:
            time.sleep(seconds)
        if self.faults.take_unavailable(rpc):
            raise Failure(UNAVAILABLE, grpc.StatusCode.UNAVAILABLE)

    def _after_commit(self, rpc: str) -> None:
        """The stall_after_commit fault: the payment is committed, the answer is late."""
        seconds = self.faults.after_commit_seconds(rpc)
        if seconds:
            time.sleep(seconds)

    def _per_chunk(self) -> None:
        """The per-chunk upload faults: wait, and let the chain move on."""
        seconds, blocks = self.faults.per_chunk()
        if seconds:
            time.sleep(seconds)
        if blocks:
            self.chain.web3.provider.make_request("evm_mine", [blocks])

    def _begin_payment(self, context: grpc.ServicerContext, default_type: str, allowed: tuple[str, ...],
                       price: Callable[[PaymentRequest], int]) -> Transaction:
        payment = self.payments.parse(_metadata(context), default_type, allowed)
        return self.payments.begin(payment, price)

    def _training_price(self, kind: str, missing: str) -> Callable[[PaymentRequest], int]:
        def price(payment: PaymentRequest) -> int:
            # An unknown snet-train-model-id makes daemon v6 dereference a nil model and crash;
            # the double answers as for a missing header instead.
            record = self.store.get(payment.model_id) if payment.model_id else None
            if record is None:
                raise Failure(missing, grpc.StatusCode.INTERNAL)
            return record.validate_price if kind == "validate" else record.train_price
        return price

    def _unary_daemon(self, rpc: str, fn: Callable, price_kind: str | None) -> Callable:
        def handle(request: Any, context: grpc.ServicerContext) -> Any:
            transaction = None
            try:
                self._faults(rpc)
                if price_kind:
                    transaction = self._begin_payment(
                        context, "train-call", ("train-call",),
                        self._training_price(price_kind, "internal error: [trainUnaryValidator] no training model found"))
                if not self.config.training_enabled:
                    raise Failure(TRAINING_DISABLED)
                response = fn(request)
                if transaction:
                    transaction.commit(f"{protocol.DAEMON_SERVICE}/{rpc}", transaction.payment.model_id or "")
                    self._after_commit(rpc)
                return response
            except (Failure, PaymentError) as exc:
                context.abort(exc.code, exc.message)
            finally:
                if transaction:
                    transaction.rollback()
        return handle

    def _auth(self, auth: Any, rpc: str) -> None:
        check_authorization(auth, rpc, self.chain.latest_block)

    def _creator_only(self, request: Any, rpc: str) -> ModelRecord:
        """no auth -> empty id -> signature -> owner, each reported as the daemon does."""
        if not request.HasField("authorization"):
            raise Failure(NO_AUTH)
        if not request.model_id:
            raise Failure(EMPTY_ID)
        try:
            self._auth(request.authorization, rpc)
        except AuthFailure as exc:
            raise Failure(f"{ACCESS}: {exc}") from None
        return self._owned(request.model_id, request.authorization.signer_address, f"{ACCESS}: ")

    def _owned(self, model_id: str, signer: str, prefix: str) -> ModelRecord:
        record = self.store.get(model_id)
        if record is None:
            raise Failure(f"{ACCESS}: daemon storage error: error in getting data from model storage: "
                          f"model data doesn't exist for modelID: {model_id}")
        if not same_address(record.created_by, signer):
            raise Failure(prefix + NOT_OWNER)
        return record

    def _accessible(self, model_id: str, signer: str) -> ModelRecord:
        record = self.store.get(model_id)
        if record is None or not self.store.has_access(model_id, signer):
            raise Failure(f"{ACCESS}: user {signer}, does not have access to model Id {model_id}")
        return record

    def _refresh(self, record: ModelRecord) -> None:
        with self.store.lock:
            record.status = self.provider.status(record.model_id, record.status)

    # ---- training.Daemon ----------------------------------------------------------------------

    def create_model(self, request: Any) -> Any:
        if not request.HasField("authorization"):
            raise Failure(NO_AUTH)
        try:
            self._auth(request.authorization, "create_model")
        except AuthFailure:
            raise Failure(BAD_AUTH) from None
        if not request.model.grpc_service_name or not request.model.grpc_method_name:
            raise Failure("invalid request: no grpc_service_name or grpc_method_name provided")
        record = self.store.create(request.model, request.authorization.signer_address)
        return self.m.ModelResponse(**record.response_fields())

    def validate_model_price(self, request: Any) -> Any:
        record = self._creator_only(request, "validate_model_price")
        with self.store.lock:
            record.validate_price = self.config.validate_price
        return self.m.PriceInBaseUnit(price=record.validate_price)

    def train_model_price(self, request: Any) -> Any:
        record = self._creator_only(request, "train_model_price")
        with self.store.lock:
            record.train_price = self.config.train_price
        return self.m.PriceInBaseUnit(price=record.train_price)

    def validate_model(self, request: Any) -> Any:
        record = self._creator_only(request, "validate_model")
        status = self.provider.start_validation(record.model_id)
        with self.store.lock:
            record.status, record.training_data_link = status, request.training_data_link
        return self.m.StatusResponse(status=status)

    def train_model(self, request: Any) -> Any:
        record = self._creator_only(request, "train_model")
        status = self.provider.start_training(record.model_id)
        with self.store.lock:
            record.status = status
        return self.m.StatusResponse(status=status)

    def delete_model(self, request: Any) -> Any:
        record = self._creator_only(request, "delete_model")
        self.provider.forget(record.model_id)
        self.store.delete(record)
        return self.m.StatusResponse(status=DELETED)

    def get_all_models(self, request: Any) -> Any:
        if not request.HasField("authorization"):
            raise Failure(NO_AUTH)
        try:
            self._auth(request.authorization, "get_all_models")
        except AuthFailure:
            raise Failure(BAD_AUTH) from None
        # The daemon's pending-model worker refreshes statuses every 3 s; the double lists
        # as if it had just run, so a finished job shows without waiting for a poll.
        with self.store.lock:
            for record in self.store.models.values():
                record.status = self.provider.status(record.model_id, record.status)
            records = self.store.listing(request, request.authorization.signer_address,
                                         self.config.duplicate_listing)
            return self.m.ModelsResponse(list_of_models=[self.m.ModelResponse(**r.response_fields())
                                                         for r in records])

    def get_model(self, request: Any) -> Any:
        if not request.HasField("authorization"):
            raise Failure(NO_AUTH)
        try:
            self._auth(request.authorization, "get_model")
        except AuthFailure:
            raise Failure(BAD_AUTH) from None
        if not request.model_id:
            raise Failure(EMPTY_ID)
        record = self._accessible(request.model_id, request.authorization.signer_address)
        self._refresh(record)
        return self.m.ModelResponse(**record.response_fields())

    def update_model(self, request: Any) -> Any:
        if not request.HasField("authorization"):
            raise Failure(NO_AUTH)
        try:
            self._auth(request.authorization, "update_model")
        except AuthFailure as exc:
            raise Failure(f"{ACCESS}: {exc}") from None
        signer = request.authorization.signer_address
        self._accessible(request.model_id, signer)
        if not request.model_id:
            raise Failure(EMPTY_ID)
        record = self._owned(request.model_id, signer, "")
        self.store.update(record, request)
        return self.m.ModelResponse(**record.response_fields())

    def get_training_metadata(self, request: Any) -> Any:
        reply = self.m.TrainingMetadata(trainingEnabled=True, trainingInProto=True)
        for service, methods in self.spec.trainable_methods().items():
            for name in methods:
                reply.trainingMethods[service].values.add(string_value=name)
        return reply

    def get_method_metadata(self, request: Any) -> Any:
        service, method = request.grpc_service_name, request.grpc_method_name
        if request.model_id:
            record = self.store.get(request.model_id)
            if record is None:
                # Daemon v6 panics here (nil error's .Error()) and the process dies; the double
                # answers with an error instead so one bad call doesn't kill the test stack.
                raise Failure("daemon storage error: error in getting data from model storage: "
                              f"model data doesn't exist for modelID: {request.model_id}")
            service, method = record.grpc_service_name, record.grpc_method_name
        reply = self.m.MethodMetadata()
        reply.CopyFrom(self.spec.metadata_for(service, method))
        return reply

    def _upload(self, requests: Iterator[Any], context: grpc.ServicerContext) -> Any:
        transaction = None
        try:
            self._faults("upload_and_validate")
            transaction = self._begin_payment(
                context, "escrow", ("escrow", "train-call"),
                self._training_price("validate", "internal error: no training model found"))
            if not self.config.training_enabled:
                raise Failure(TRAINING_DISABLED)
            model_id = self._receive_upload(requests, self.faults.take_drop_after())
            status = self.provider.start_validation(model_id) if model_id else VALIDATING
            record = self.store.get(model_id)
            if record is not None:
                with self.store.lock:
                    record.status = status
            transaction.commit(f"{protocol.DAEMON_SERVICE}/upload_and_validate", transaction.payment.model_id or "")
            self._after_commit("upload_and_validate")
            return self.m.StatusResponse(status=status)
        except (Failure, PaymentError) as exc:
            context.abort(exc.code, exc.message)
        finally:
            if transaction:
                transaction.rollback()

    def _receive_upload(self, requests: Iterator[Any], drop_after: int | None) -> str:
        """Check every chunk like the daemon; keep a digest and per-chunk facts, not the bytes."""
        digest, size, chunks, upload, model_id = hashlib.sha256(), 0, [], None, ""
        for request in requests:
            if not request.HasField("authorization"):
                raise Failure(NO_AUTH)
            latest = self.chain.latest_block()
            try:
                check_authorization(request.authorization, "upload_and_validate", lambda block=latest: block)
            except AuthFailure as exc:
                raise Failure(f"{NO_AUTH}: {exc}") from None
            chunk = request.upload_input
            record = self._owned(chunk.model_id, request.authorization.signer_address, f"{ACCESS}: ")
            model_id = chunk.model_id
            if upload is None:
                upload = {"file_name": chunk.file_name, "file_size": chunk.file_size, "batch_size": chunk.batch_size,
                          "batch_count": chunk.batch_count, "complete": False, "chunks": chunks}
                with self.store.lock:
                    record.uploads.append(upload)
            digest.update(chunk.data)
            size += len(chunk.data)
            chunks.append({"batch_number": chunk.batch_number, "size": len(chunk.data),
                           "auth_block": request.authorization.current_block, "latest_block": latest})
            upload.update(sha256=digest.hexdigest(), size=size)
            if drop_after is not None and len(chunks) >= drop_after:
                raise Failure(UNAVAILABLE, grpc.StatusCode.UNAVAILABLE)
            self._per_chunk()
        if upload is not None:
            upload["complete"] = True
        return model_id

    # ---- escrow.PaymentChannelStateService ----------------------------------------------------

    def _channel_state(self, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            self._faults("GetChannelState")
            fields = self.payments.channel_state(request.channel_id, request.signature, request.current_block)
        except Failure as exc:
            context.abort(exc.code, exc.message)
        except ValueError as exc:
            context.abort(grpc.StatusCode.UNKNOWN, str(exc))
        return self.m.ChannelStateReply(**fields)

    # ---- the proxied service ------------------------------------------------------------------

    def _proxied(self, method: Any) -> Callable:
        def handle(request: Any, context: grpc.ServicerContext) -> Any:
            transaction = None
            try:
                self._faults(method.name)
                transaction = self._begin_payment(context, "escrow", ("escrow",), lambda _p: self.service_price)
                model_id = ""
                if method.name == "answer":
                    model_id = request.model_id.model_id
                    self._check_inference_model(model_id, transaction.channel.sender)
                    response = method.response(text=request.text, model_id=model_id)
                else:
                    response = method.response(text=request.text)
                transaction.commit(f"{method.service}/{method.name}", model_id)
                return response
            except (Failure, PaymentError) as exc:
                context.abort(exc.code, exc.message)
            finally:
                if transaction:
                    transaction.rollback()
        return handle

    def _check_inference_model(self, model_id: str, user: str) -> None:
        """What a provider does with `snet-user-address`: the daemon itself checks nothing."""
        record = self.store.get(model_id)
        if record is None or record.status == DELETED:
            raise Failure(f"model {model_id} not found", grpc.StatusCode.NOT_FOUND)
        if not self.store.has_access(model_id, user):
            raise Failure(f"user {user} has no access to model {model_id}", grpc.StatusCode.PERMISSION_DENIED)
        status = self.provider.status(model_id, record.status)
        if status != READY_TO_USE:
            raise Failure(f"model {model_id} is not ready to use, status: {protocol.STATUS_NAMES[status]}",
                          grpc.StatusCode.FAILED_PRECONDITION)
