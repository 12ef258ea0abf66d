"""The training protocol's message classes, built in a private descriptor pool.

snet-cli and snet-sdk both register their own `training.proto` in protobuf's default pool,
with bytes that differ from each other and from ours; a second registration of the same
file or symbol fails there. Ours lives in a pool of its own, so it coexists with both.
"""

from __future__ import annotations

import functools
from importlib import resources
from types import SimpleNamespace

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

DAEMON_SERVICE = "training.Daemon"
CHANNEL_STATE_SERVICE = "escrow.PaymentChannelStateService"

_TRAINING_MESSAGES = (
    "ModelID", "PriceInBaseUnit", "StatusResponse", "UploadInput", "ValidateRequest", "NewModel", "ModelResponse",
    "AuthorizationDetails", "NewModelRequest", "AuthValidateRequest", "UploadAndValidateRequest", "CommonRequest",
    "UpdateModelRequest", "ModelsResponse", "MethodMetadataRequest", "AllModelsRequest", "TrainingMetadata",
    "MethodMetadata",
)


@functools.cache
def pool() -> descriptor_pool.DescriptorPool:
    """The private pool holding the training and channel-state protocol files."""
    data = resources.files("snet_cli_training.daemon._proto").joinpath("protocol.binpb").read_bytes()
    files = descriptor_pb2.FileDescriptorSet.FromString(data)
    private = descriptor_pool.DescriptorPool()
    for file_proto in files.file:
        private.Add(file_proto)
    return private


@functools.cache
def messages() -> SimpleNamespace:
    """Message classes by short name: `messages().ModelResponse`, `messages().ChannelStateRequest`, ..."""
    private = pool()
    classes = {name: message_factory.GetMessageClass(private.FindMessageTypeByName(f"training.{name}"))
               for name in _TRAINING_MESSAGES}
    for name in ("ChannelStateRequest", "ChannelStateReply"):
        classes[name] = message_factory.GetMessageClass(private.FindMessageTypeByName(f"escrow.{name}"))
    classes["Empty"] = message_factory.GetMessageClass(private.FindMessageTypeByName("google.protobuf.Empty"))
    return SimpleNamespace(**classes)


def method_path(service: str, rpc: str) -> str:
    """The gRPC path of an RPC, e.g. `/training.Daemon/get_model`."""
    return f"/{service}/{rpc}"

