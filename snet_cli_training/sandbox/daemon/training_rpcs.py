"""training.Daemon's unary RPCs: model records, prices, validation and training, metadata."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc

from snet_cli_training.sandbox import protocol
from snet_cli_training.sandbox.daemon.auth import AuthFailure, check_authorization
from snet_cli_training.sandbox.daemon.handler_base import (
    ACCESS, BAD_AUTH, EMPTY_ID, NO_AUTH, TRAINING_DISABLED, Failure, HandlerBase, RpcCall,
)
from snet_cli_training.sandbox.daemon.provider import DELETED
from snet_cli_training.sandbox.daemon.store import ModelRecord


class TrainingRpcs(HandlerBase):
    """create_model ... get_method_metadata, checked and answered in the daemon's words."""

    def _unary_daemon(self, rpc: str, fn: Callable, price_kind: str | None) -> Callable:
        """`fn` as a gRPC handler: faults, the payment when `price_kind` is set, the training switch, commit."""
        def handle(request: Any, context: grpc.ServicerContext) -> Any:
            with RpcCall(context) as call:
                self._faults(rpc)
                if price_kind:
                    call.transaction = self._begin_payment(
                        context, "train-call", ("train-call",),
                        self._training_price(price_kind, "internal error: [trainUnaryValidator] no training model found",
                                             rpc))
                if not self.config.training_enabled:
                    raise Failure(TRAINING_DISABLED)
                response = fn(request)
                if call.transaction:
                    call.transaction.commit(f"{protocol.DAEMON_SERVICE}/{rpc}", call.transaction.payment.model_id or "")
                    self._after_commit(rpc)
                return response
        return handle

    def _auth(self, auth: Any, rpc: str) -> None:
        check_authorization(auth, rpc, self.chain.latest_block)

    def _authorized(self, request: Any, rpc: str, detailed: bool = False) -> None:
        """No authorization: NO_AUTH; a refused one: BAD_AUTH, or with `detailed` the access error and its reason."""
        if not request.HasField("authorization"):
            raise Failure(NO_AUTH)
        try:
            self._auth(request.authorization, rpc)
        except AuthFailure as exc:
            raise Failure(f"{ACCESS}: {exc}" if detailed else BAD_AUTH) from None

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

    def _accessible(self, model_id: str, signer: str) -> ModelRecord:
        record = self.store.get(model_id)
        if record is None or not self.store.has_access(model_id, signer):
            raise Failure(f"{ACCESS}: user {signer}, does not have access to model Id {model_id}")
        return record

    def _refresh(self, record: ModelRecord) -> None:
        with self.store.lock:
            record.status = self.provider.status(record.model_id, record.status)

    def create_model(self, request: Any) -> Any:
        if not request.HasField("authorization") and self.behaviour.release.typo:
            raise Failure(NO_AUTH.replace("invalid", "invalud", 1))  # sic: v6.0.0 and older spell it so
        self._authorized(request, "create_model")
        missing_names = Failure("invalid request: no grpc_service_name or grpc_method_name provided")
        if not request.HasField("model"):
            raise self._hazard("create_model", "create_model with model unset", missing_names)
        if not request.model.grpc_service_name or not request.model.grpc_method_name:
            raise missing_names
        model_id = self.provider.create_model(self._forwarded_model(request.model))
        if not model_id:
            raise Failure(EMPTY_ID)
        record = self.store.create(request.model, request.authorization.signer_address, model_id)
        return self.m.ModelResponse(**record.response_fields())

    def _forwarded_model(self, model: Any) -> Any:
        """NewModel as the daemon forwards it: organization, service and group from its own configuration."""
        forwarded = self.m.NewModel()
        forwarded.CopyFrom(model)
        forwarded.organization_id, forwarded.service_id, forwarded.group_id = self.served
        return forwarded

    def validate_model_price(self, request: Any) -> Any:
        record = self._creator_only(request, "validate_model_price")
        price = self.provider.validate_price(record.model_id, request.training_data_link)
        with self.store.lock:
            record.validate_price = price
        return self.m.PriceInBaseUnit(price=record.validate_price)

    def train_model_price(self, request: Any) -> Any:
        record = self._creator_only(request, "train_model_price")
        price = self.provider.train_price(record.model_id)
        with self.store.lock:
            record.train_price = price
        return self.m.PriceInBaseUnit(price=record.train_price)

    def validate_model(self, request: Any) -> Any:
        record = self._creator_only(request, "validate_model")
        status = self.provider.start_validation(record.model_id, request.training_data_link)
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
        self.provider.delete_model(record.model_id)
        self.store.delete(record)
        return self.m.StatusResponse(status=DELETED)

    def get_all_models(self, request: Any) -> Any:
        self._authorized(request, "get_all_models")
        # The daemon's pending-model worker refreshes statuses every 3 s; the double lists
        # as if it had just run, so a finished job shows without waiting for a poll.
        with self.store.lock:
            for record in self.store.models.values():
                try:
                    record.status = self.provider.status(record.model_id, record.status)
                except Failure:  # a provider that cannot say keeps the stored status, as the daemon's poller does
                    pass
            records = self.store.listing(request, request.authorization.signer_address,
                                         self.config.duplicate_listing, self.config.ignore_paging)
            return self.m.ModelsResponse(list_of_models=[self.m.ModelResponse(**r.response_fields())
                                                         for r in records])

    def get_model(self, request: Any) -> Any:
        self._authorized(request, "get_model")
        if not request.model_id:
            raise Failure(EMPTY_ID)
        record = self._accessible(request.model_id, request.authorization.signer_address)
        self._refresh(record)
        return self.m.ModelResponse(**record.response_fields())

    def update_model(self, request: Any) -> Any:
        self._authorized(request, "update_model", detailed=True)
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
                # Released daemons panic here (a nil error's .Error()) and the process dies.
                raise self._hazard("get_method_metadata", f"get_method_metadata with unknown model id {request.model_id}",
                                   Failure("daemon storage error: error in getting data from model storage: "
                                           f"model data doesn't exist for modelID: {request.model_id}"))
            service, method = record.grpc_service_name, record.grpc_method_name
        reply = self.m.MethodMetadata()
        reply.CopyFrom(self.spec.metadata_for(service, method))
        return reply
