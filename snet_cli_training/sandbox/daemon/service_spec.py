"""The provider's service protos, compiled at startup into a pool of their own.

Gives the daemon what it derives from the service API: trainable methods, the dataset
limits declared as method options, and message classes for proxying calls.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from snet_cli_training.sandbox import protocol


@dataclass(frozen=True)
class ServiceMethod:
    service: str        # full name, e.g. example.Echo
    short_service: str  # e.g. Echo
    name: str
    request: type
    response: type
    trainable: bool

    @property
    def path(self) -> str:
        return f"/{self.service}/{self.name}"


class ServiceSpec:
    def __init__(self, proto_paths: str | list[str]) -> None:
        paths = [Path(proto_paths)] if isinstance(proto_paths, str) else [Path(p) for p in proto_paths]
        files = _compile(paths)
        self.pool = descriptor_pool.DescriptorPool()
        for file_proto in files.file:
            self.pool.Add(file_proto)
        names = {path.name for path in paths}
        metadata_class = protocol.messages().MethodMetadata
        self.methods: list[ServiceMethod] = []
        self.method_metadata: dict[str, Any] = {}
        own_services = [(file_proto, service) for file_proto in files.file if file_proto.name in names
                        for service in file_proto.service]
        for own, service_proto in own_services:
            service = self.pool.FindServiceByName(f"{own.package}.{service_proto.name}" if own.package
                                                  else service_proto.name)
            for method_proto in service_proto.method:
                method = service.methods_by_name[method_proto.name]
                trainable = any(f.message_type is not None and f.message_type.full_name == "training.ModelID"
                                for f in method.input_type.fields)
                self.methods.append(ServiceMethod(
                    service.full_name, service.name, method.name,
                    message_factory.GetMessageClass(method.input_type),
                    message_factory.GetMessageClass(method.output_type), trainable))
                # MethodMetadata shares field numbers with the training.* MethodOptions
                # extensions, so the serialized options parse straight into it.
                self.method_metadata[service.name + method.name] = metadata_class.FromString(
                    method_proto.options.SerializeToString())

    def trainable_methods(self) -> dict[str, list[str]]:
        """Short service name -> trainable method names (get_training_metadata)."""
        result: dict[str, list[str]] = {}
        for method in self.methods:
            if method.trainable:
                result.setdefault(method.short_service, []).append(method.name)
        return result

    def metadata_for(self, service: str, method: str) -> Any:
        found = self.method_metadata.get(service + method)
        return found if found is not None else protocol.messages().MethodMetadata()


def _compile(proto_paths: list[Path]) -> descriptor_pb2.FileDescriptorSet:
    """Compile the service's protos with protoc; `import "training.proto"` resolves to the plugin's descriptors."""
    from grpc_tools import protoc

    well_known = resources.files("grpc_tools") / "_proto"
    folders = list(dict.fromkeys(f"-I{path.parent}" for path in proto_paths))
    with tempfile.TemporaryDirectory(prefix="snet-service-spec-") as work:
        protocol_set, out = Path(work) / "protocol.binpb", Path(work) / "service.binpb"
        protocol_set.write_bytes(protocol.descriptor_set())
        code = protoc.main(["protoc", *folders, f"--descriptor_set_in={protocol_set}", f"-I{well_known}",
                            "--include_imports", f"--descriptor_set_out={out}", *map(str, proto_paths)])
        if code != 0:
            raise RuntimeError(f"protoc failed ({code}) on {', '.join(map(str, proto_paths))}")
        return descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
