"""The training protocol as the plugin defines it: the sandbox's only import of the plugin's code."""

from __future__ import annotations

from google.protobuf import descriptor_pb2

from snet_cli_training.constants import STATUSES as STATUS_NAMES
from snet_cli_training.daemon.protocol import CHANNEL_STATE_SERVICE, DAEMON_SERVICE, messages, pool

__all__ = ["CHANNEL_STATE_SERVICE", "DAEMON_SERVICE", "STATUS_NAMES", "messages", "descriptor_set"]


def descriptor_set(file_name: str = "training.proto") -> bytes:
    """A serialized FileDescriptorSet of `file_name` and its imports, dependencies first.

    protoc's --descriptor_set_in resolves `import "training.proto"` from it, so a service proto
    compiles against the plugin's own compiled protocol without a second copy of the source.
    """
    files = descriptor_pb2.FileDescriptorSet()
    added: set[str] = set()

    def add(descriptor) -> None:
        if descriptor.name in added:
            return
        for dependency in descriptor.dependencies:
            add(dependency)
        added.add(descriptor.name)
        descriptor.CopyToProto(files.file.add())

    add(pool().FindFileByName(file_name))
    return files.SerializeToString()
