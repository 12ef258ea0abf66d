"""The double's HTTP/1 side: `GET /heartbeat` with the fields of the release it behaves like (docs/daemon-releases.md#heartbeat)."""

from __future__ import annotations

import hashlib
import json
import socket
import time
import types
from collections.abc import Callable
from typing import Any

from snet_cli_training.sandbox.daemon.config import ProviderConfig
from snet_cli_training.sandbox.daemon.releases import Behaviour
from snet_cli_training.sandbox.daemon.service_spec import ServiceSpec
from snet_cli_training.sandbox.http_base import QuietHandler


def heartbeat(behaviour: Behaviour, config: ProviderConfig, spec: ServiceSpec, daemon_id: str) -> dict[str, Any]:
    """The heartbeat document: v5.2-v6.0.0 carry four training/pricing keys, v6.1.0+ one `trainingMetadata` object."""
    release = behaviour.release
    document: dict[str, Any] = {
        "daemonID": daemon_id, "timestamp": str(int(time.time())), "status": "Online",
        "serviceheartbeat": json.dumps({"serviceID": "", "status": "SERVING"}),
        "daemonVersion": behaviour.version, "blockchainEnabled": True, "blockchainNetwork": behaviour.network,
        "storageClientCertDetails": {"validFrom": "", "validTill": ""},
    }
    methods = spec.trainable_methods()
    if release.old_heartbeat:
        document.update(trainingEnabled=config.training_enabled, trainingInProto=bool(methods),
                        trainingMethods=sorted(f"{service}.{name}" for service, names in methods.items() for name in names),
                        dynamicPricing=release.dynamic_pricing)
    elif config.training_enabled:
        document["trainingMetadata"] = {"trainingEnabled": True, "trainingInProto": bool(methods),
                                        "trainingMethods": methods}
    return document


def daemon_id(group_id: bytes, payment_address: str) -> str:
    """A stable id of this double, as the daemon derives one from what it serves."""
    return hashlib.sha256(group_id + payment_address.lower().encode()).hexdigest()


def http_server(document: Callable[[], dict]) -> Callable[[socket.socket, tuple], None]:
    """Serve one HTTP/1 connection (keep-alive) the port splitter hands over: `/heartbeat`, else 404."""

    class HeartbeatHandler(QuietHandler):
        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] == "/heartbeat":
                self.send_body(200, json.dumps(document()).encode())
            else:
                self.send_body(404, b"404 page not found\n", "text/plain; charset=utf-8")

    def serve(connection: socket.socket, peer: tuple) -> None:
        HeartbeatHandler(connection, peer, types.SimpleNamespace())

    return serve
