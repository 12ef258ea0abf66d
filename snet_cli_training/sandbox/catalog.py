"""The services a local network can publish: echo (the tests'), the text classifier (the sandbox's), a provider's own."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from snet_cli_training.sandbox.errors import SandboxError

HERE = Path(__file__).parent
TRAINING_IMPORT = 'import "training.proto";'
# The protocol's own files: the daemon and both clients bring their copies, so a service never publishes them.
PROTOCOL_FILES = frozenset({"training.proto", "training_daemon.proto"})


@dataclass(frozen=True)
class PublishedService:
    """One service as the network publishes it, and who answers behind its daemon."""

    org_id: str
    service_id: str
    display_name: str
    description: str
    proto_files: tuple[str, ...]
    # "echo" and "classifier" are built into the daemon simulator; anything else is a provider's HOST:PORT.
    provider: str
    price_in_cogs: int = 10

    @property
    def forwards(self) -> bool:
        """Whether the daemon forwards to a provider's own process."""
        return self.provider not in ("echo", "classifier")


ECHO = PublishedService(
    org_id="testorg", service_id="echo", display_name="Echo",
    description="Echo service of the local test network.",
    proto_files=(str(HERE / "example_service.proto"),), provider="echo")

CLASSIFIER = PublishedService(
    org_id="sandbox", service_id="classifier", display_name="Text classifier",
    description="A text classifier you train with a zip of folders: folder = label, .txt files = examples.",
    proto_files=(str(HERE / "text_classifier.proto"),), provider="classifier")


def provider_service(endpoint: str, proto_dir: str) -> PublishedService:
    """A provider's own service: the .proto files of `proto_dir`, its training.Model and methods at `endpoint`."""
    host, _, port = endpoint.rpartition(":")
    if not host or not port.isdigit():
        raise SandboxError(f"--provider takes HOST:PORT of the provider's gRPC server, not {endpoint!r}")
    folder = Path(proto_dir)
    if not folder.is_dir():
        raise SandboxError(f"--proto-dir {proto_dir}: no such folder")
    files = sorted(p for p in folder.glob("*.proto") if p.name not in PROTOCOL_FILES)
    if not files:
        raise SandboxError(f"--proto-dir {proto_dir} holds no .proto file of the service")
    texts = {path: path.read_text(encoding="utf-8", errors="replace") for path in files}
    if not any(TRAINING_IMPORT in text for text in texts.values()):
        raise SandboxError(f"no .proto file in {proto_dir} has the line `{TRAINING_IMPORT}`: clients and the daemon "
                           "find a service's training methods by it")
    services = [name for text in texts.values() for name in re.findall(r"^\s*service\s+(\w+)", text, re.MULTILINE)]
    if not services:
        raise SandboxError(f"the .proto files in {proto_dir} declare no service")
    return PublishedService(
        org_id="sandbox", service_id=services[0].lower(), display_name=services[0],
        description=f"{services[0]}, served by the provider at {endpoint}.",
        proto_files=tuple(str(path.resolve()) for path in files), provider=f"{host}:{port}")


def service_for(request: dict) -> PublishedService:
    """What a sandbox publishes: the classifier, or with `provider` and `proto_dir` the provider's own service."""
    if request.get("provider") or request.get("proto_dir"):
        if not (request.get("provider") and request.get("proto_dir")):
            raise SandboxError("--provider HOST:PORT and --proto-dir DIR go together")
        return provider_service(request["provider"], request["proto_dir"])
    return CLASSIFIER
