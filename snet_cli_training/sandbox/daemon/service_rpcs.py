"""What `snet client call` talks to: escrow.PaymentChannelStateService and the paid, proxied service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc

from snet_cli_training.sandbox import protocol
from snet_cli_training.sandbox.daemon.handler_base import Failure, HandlerBase, RpcCall
from snet_cli_training.sandbox.daemon.provider import DELETED, READY_TO_USE


class ServiceRpcs(HandlerBase):
    """GetChannelState and the service's own methods, which are paid `escrow` calls."""

    def _channel_state(self, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            self._faults("GetChannelState")
            fields = self.payments.channel_state(request.channel_id, request.signature, request.current_block)
        except Failure as exc:
            context.abort(exc.code, exc.message)
        except ValueError as exc:
            context.abort(grpc.StatusCode.UNKNOWN, str(exc))
        return self.m.ChannelStateReply(**fields)

    def _proxied(self, method: Any) -> Callable:
        def handle(request: Any, context: grpc.ServicerContext) -> Any:
            with RpcCall(context) as call:
                self._faults(method.name)
                call.transaction = self._begin_payment(context, "escrow", ("escrow",), lambda _p: self.service_price)
                model_id = ""
                if method.name == "answer":
                    model_id = request.model_id.model_id
                    self._check_inference_model(model_id, call.transaction.channel.sender)
                    response = method.response(text=request.text, model_id=model_id)
                else:
                    response = method.response(text=request.text)
                call.transaction.commit(f"{method.service}/{method.name}", model_id)
                return response
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
