"""What every handler of the double shares: its parts, the daemon's error texts, faults and payment steps."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import grpc

from snet_cli_training.sandbox import protocol
from snet_cli_training.sandbox.daemon.auth import same_address
from snet_cli_training.sandbox.daemon.chain_view import ChainView
from snet_cli_training.sandbox.daemon.config import Faults, ProviderConfig
from snet_cli_training.sandbox.daemon.failure import Failure
from snet_cli_training.sandbox.daemon.payment import PaymentError, PaymentGate, PaymentRequest, Transaction
from snet_cli_training.sandbox.daemon.provider import Provider
from snet_cli_training.sandbox.daemon.releases import Behaviour
from snet_cli_training.sandbox.daemon.service_spec import ServiceSpec
from snet_cli_training.sandbox.daemon.store import ModelRecord, ModelStore

TRAINING_DISABLED = "service end point is not defined or is invalid , please contact the AI developer"
UNAVAILABLE = "No requests are currently being processed, please try again later"
NO_AUTH = "invalid request: no authorization provided"
BAD_AUTH = "invalid request: bad authorization provided"
EMPTY_ID = "invalid request: model id can't be empty"
ACCESS = "unable to access model"
NOT_OWNER = "error in updating model state: only owner can change the model state"
# v6.2.x: the handler's first read of an upload after the interceptor's pre-read (docs/daemon-releases.md).
UPLOAD_PRE_READ_BUG = ("WrapperServerStream: unexpected message type *training.UploadAndValidateRequest, "
                       "want *codec.GrpcFrame")


def invocation_metadata(context: grpc.ServicerContext) -> dict[str, list]:
    """The call's metadata: each key with every value sent under it."""
    found: dict[str, list] = {}
    for item in context.invocation_metadata() or ():
        found.setdefault(item.key, []).append(item.value)
    return found


class RpcCall:
    """One RPC's outcome: a Failure or PaymentError aborts it with its code and text; a payment not committed is rolled back."""

    def __init__(self, context: grpc.ServicerContext) -> None:
        self.context = context
        self.transaction: Transaction | None = None

    def __enter__(self) -> RpcCall:
        return self

    def __exit__(self, _kind: type | None, error: BaseException | None, _traceback: Any) -> None:
        if self.transaction:
            self.transaction.rollback()
        if isinstance(error, (Failure, PaymentError)):
            self.context.abort(error.code, error.message)


class HandlerBase:
    """The double's parts and the steps its RPC families share; the families are mixins on top of it."""

    def __init__(self, chain: ChainView, store: ModelStore, provider: Provider, payments: PaymentGate,
                 spec: ServiceSpec, config: ProviderConfig, faults: Faults, service_price: int,
                 behaviour: Behaviour | None = None, served: tuple[str, str, str] = ("", "", "")) -> None:
        self.chain, self.store, self.provider, self.payments = chain, store, provider, payments
        self.spec, self.config, self.faults, self.service_price = spec, config, faults, service_price
        self.behaviour = behaviour or Behaviour()
        self.served = served  # organization id, service id, group id (base64): what create_model forwards
        self.m = protocol.messages()

    def _hazard(self, rpc: str, cause: str, intended: Failure) -> Failure:
        """What to raise where a release's process dies (docs/daemon-releases.md#hazards): the crash, or `intended`."""
        if not self.behaviour.release.crashes:
            return intended
        return Failure(self.behaviour.record_crash(rpc, cause), grpc.StatusCode.UNAVAILABLE)

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

    def _begin_payment(self, context: grpc.ServicerContext, default_type: str, allowed: tuple[str, ...],
                       price: Callable[[PaymentRequest], int]) -> Transaction:
        payment = self.payments.parse(invocation_metadata(context), default_type, allowed)
        return self.payments.begin(payment, price)

    def _training_price(self, kind: str, missing: str, rpc: str) -> Callable[[PaymentRequest], int]:
        def price(payment: PaymentRequest) -> int:
            record = self.store.get(payment.model_id) if payment.model_id else None
            if record is None:
                failure = Failure(missing, grpc.StatusCode.INTERNAL)
                if payment.model_id:
                    # Released daemons dereference the nil model inside payment validation and die;
                    # intended, it is answered as a missing header is.
                    failure = self._hazard(rpc, f"unknown snet-train-model-id {payment.model_id}", failure)
                raise failure
            return record.validate_price if kind == "validate" else record.train_price
        return price

    def _owned(self, model_id: str, signer: str, prefix: str) -> ModelRecord:
        record = self.store.get(model_id)
        if record is None:
            raise Failure(f"{ACCESS}: daemon storage error: error in getting data from model storage: "
                          f"model data doesn't exist for modelID: {model_id}")
        if not same_address(record.created_by, signer):
            raise Failure(prefix + NOT_OWNER)
        return record
