"""The double's gRPC handlers: every RPC family on one object, registered by service and method name."""

from __future__ import annotations

from collections.abc import Callable

import grpc

from snet_cli_training.sandbox import protocol
from snet_cli_training.sandbox.daemon.service_rpcs import ServiceRpcs
from snet_cli_training.sandbox.daemon.training_rpcs import TrainingRpcs
from snet_cli_training.sandbox.daemon.upload import UploadReceiver

HEALTH_SERVICE = "grpc.health.v1.Health"


class DaemonHandlers(TrainingRpcs, UploadReceiver, ServiceRpcs):
    """training.Daemon, escrow.PaymentChannelStateService and the proxied service's methods."""

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
        daemon = {name: _unary(self._unary_daemon(name, fn, price_kind), req, resp)
                  for name, (req, resp, fn, price_kind) in unary.items()}
        daemon["upload_and_validate"] = grpc.stream_unary_rpc_method_handler(
            self._upload, request_deserializer=m.UploadAndValidateRequest.FromString,
            response_serializer=m.StatusResponse.SerializeToString)
        state = {"GetChannelState": _unary(self._channel_state, m.ChannelStateRequest, m.ChannelStateReply)}
        services: dict[str, dict] = {protocol.DAEMON_SERVICE: daemon, protocol.CHANNEL_STATE_SERVICE: state,
                                     HEALTH_SERVICE: {"List": grpc.unary_unary_rpc_method_handler(self._health_list)}}
        for method in self.spec.methods:
            services.setdefault(method.service, {})[method.name] = _unary(self._proxied(method), method.request,
                                                                          method.response)
        return [grpc.method_handlers_generic_handler(name, methods) for name, methods in services.items()]

    def _health_list(self, _request: bytes, context: grpc.ServicerContext) -> bytes:
        """grpc.health.v1.Health/List, which daemon v6.0.0 panics on; the double has no health service otherwise."""
        if self.behaviour.release.health_list_crashes:
            context.abort(grpc.StatusCode.UNAVAILABLE, self.behaviour.record_crash("List", "grpc.health.v1.Health/List"))
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "unknown service grpc.health.v1.Health")


def _unary(handler: Callable, request: type, response: type) -> grpc.RpcMethodHandler:
    return grpc.unary_unary_rpc_method_handler(handler, request_deserializer=request.FromString,
                                               response_serializer=response.SerializeToString)
