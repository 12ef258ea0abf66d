"""What `snet client call` talks to: escrow.PaymentChannelStateService and the paid, proxied service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc

from snet_cli_training.sandbox.daemon.handler_base import Failure, HandlerBase, RpcCall


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
                # The daemon checks no model here: it hands the channel's sender to the provider.
                response, model_id = self.provider.answer(method, request, call.transaction.channel.sender)
                call.transaction.commit(f"{method.service}/{method.name}", model_id)
                return response
        return handle
