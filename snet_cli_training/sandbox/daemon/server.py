"""A gRPC stand-in for snet-daemon v6: training.Daemon, channel state and the proxied service.

Run as ``python -m snet_cli_training.sandbox.daemon.server --rpc URL --mpe 0x.. --payment-address 0x..
--group-id B64 --service-proto SERVICE.proto [--port 0]
[--control-port 0] [--price-cogs 10] [--expiration-threshold 100]``.  When ready it prints
one JSON line ``{"grpc": "http://127.0.0.1:P", "control": "http://127.0.0.1:C"}``.

The control API (HTTP JSON, see control_client.py for a client): POST /reset, GET /journal,
GET /models, GET|POST /config, GET|POST /fault, POST /status {model_id, status}.
"""

from __future__ import annotations

import argparse
import base64
import json
import subprocess
import sys
import threading
import time
from concurrent import futures
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc

from snet_cli_training.sandbox.processes import child_env, python_module
from snet_cli_training.sandbox.protocol import STATUS_NAMES
from snet_cli_training.sandbox.daemon.chain_view import ChainView
from snet_cli_training.sandbox.daemon.config import Faults, ProviderConfig
from snet_cli_training.sandbox.daemon.control_client import DaemonControl
from snet_cli_training.sandbox.daemon.handlers import DaemonHandlers
from snet_cli_training.sandbox.daemon.payment import PaymentGate
from snet_cli_training.sandbox.daemon.provider import Provider
from snet_cli_training.sandbox.daemon.service_spec import ServiceSpec
from snet_cli_training.sandbox.daemon.store import ModelStore

MAX_MESSAGE_BYTES = 4 * 1024 * 1024  # the daemon's max_message_size_in_mb default


@dataclass
class DaemonDouble:
    grpc_server: grpc.Server
    grpc_port: int
    store: ModelStore
    provider: Provider
    payments: PaymentGate
    config: ProviderConfig
    faults: Faults

    def reset(self) -> float:
        """Fresh state (models, journal, ledger, faults, config); returns the seconds it took."""
        started = time.perf_counter()
        self.store.reset()
        self.provider.reset()
        self.payments.reset()
        self.faults.update({"clear": True})
        self.config.update(ProviderConfig().as_dict())
        return time.perf_counter() - started

    def set_status(self, model_id: str, status: Any) -> dict:
        number = STATUS_NAMES.index(status.upper()) if isinstance(status, str) else int(status)
        record = self.store.get(model_id)
        if record is None:
            raise KeyError(model_id)
        self.provider.forget(model_id)
        with self.store.lock:
            record.status = number
        return record.raw()



# Flow control like a daemon whose client is across a real network: HTTP/2 windows stay at the
# 64 KiB default instead of growing by BDP probing on loopback (where a slow handler would let
# the client queue megabytes, far more than any WAN link holds in flight).
FLOW_CONTROL = [("grpc.http2.bdp_probe", 0), ("grpc.http2.lookahead_bytes", 65536)]

def start(rpc: str, mpe: str, payment_address: str, group_id: bytes, service_proto: str, port: int = 0,
          price_cogs: int = 10, expiration_threshold: int = 100) -> DaemonDouble:
    chain = ChainView(rpc, mpe)
    config, faults = ProviderConfig(), Faults()
    store, provider = ModelStore(), Provider(config, faults)
    payments = PaymentGate(chain, mpe, payment_address, group_id, expiration_threshold)
    handlers = DaemonHandlers(chain, store, provider, payments, ServiceSpec(service_proto), config, faults,
                              price_cogs)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16), handlers=handlers.generic_handlers(),
                         options=[("grpc.max_receive_message_length", MAX_MESSAGE_BYTES), *FLOW_CONTROL])
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    return DaemonDouble(server, bound, store, provider, payments, config, faults)


def _control_handler(double: DaemonDouble) -> type:
    class ControlHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: Any) -> None:
            pass

        def do_GET(self) -> None:
            routes = {
                "/journal": lambda: list(double.payments.journal),
                "/models": lambda: [r.raw() for r in list(double.store.models.values())],
                "/config": double.config.as_dict,
                "/fault": double.faults.as_dict,
            }
            self._answer(routes.get(self.path))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            routes = {
                "/reset": lambda: {"reset_seconds": double.reset()},
                "/config": lambda: (double.config.update(body), double.config.as_dict())[1],
                "/fault": lambda: (double.faults.update(body), double.faults.as_dict())[1],
                "/status": lambda: double.set_status(body["model_id"], body["status"]),
            }
            self._answer(routes.get(self.path))

        def _answer(self, route: Any) -> None:
            if route is None:
                self._send(404, {"error": f"no route {self.command} {self.path}"})
                return
            try:
                self._send(200, route())
            except (KeyError, ValueError, TypeError) as exc:
                self._send(400, {"error": f"{type(exc).__name__}: {exc}"})

        def _send(self, code: int, payload: Any) -> None:
            body = json.dumps(payload, default=lambda o: o.hex() if isinstance(o, bytes) else str(o)).encode()
            head = (f"HTTP/1.1 {code} {'OK' if code == 200 else 'Error'}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n").encode()
            self.wfile.write(head + body)

    return ControlHandler


def serve_control(double: DaemonDouble, port: int = 0) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", port), _control_handler(double))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class DaemonProcess:
    """A daemon double running as a child process (what `launch` returns)."""

    def __init__(self, process: subprocess.Popen, ready: dict) -> None:
        self.process = process
        self.grpc_url = ready["grpc"]
        self.control_url = ready["control"]
        self.control = DaemonControl(self.control_url)

    @property
    def target(self) -> str:
        """host:port for grpc.insecure_channel."""
        return self.grpc_url.split("://", 1)[1]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        if self.process.stdout:
            self.process.stdout.close()


def launch(config: Any, control_port: int = 0, timeout: float = 30) -> DaemonProcess:
    """Start the double for a network.DaemonConfig; return once it is serving."""
    argv = python_module(
        "snet_cli_training.sandbox.daemon.server", "--rpc", config.rpc, "--mpe", config.mpe_address,
        "--payment-address", config.payment_address, "--group-id", config.group_id_base64,
        "--service-proto", str(config.proto_path), "--port", str(config.port),
        "--control-port", str(control_port), "--price-cogs", str(config.price_in_cogs),
        "--expiration-threshold", str(config.payment_expiration_threshold))
    process = subprocess.Popen(argv, env=child_env(), stdout=subprocess.PIPE, text=True)
    ready: list[str] = []
    reader = threading.Thread(target=lambda: ready.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not ready or not ready[0].strip():
        process.kill()
        raise RuntimeError(f"daemon double did not start within {timeout} s (exit code {process.poll()})")
    return DaemonProcess(process, json.loads(ready[0]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rpc", required=True, help="Ethereum JSON-RPC URL")
    parser.add_argument("--mpe", required=True, help="MultiPartyEscrow address")
    parser.add_argument("--payment-address", required=True, help="the group's payment (recipient) address")
    parser.add_argument("--group-id", required=True, help="the group id, base64 of 32 bytes")
    parser.add_argument("--service-proto", required=True, help="the service's .proto (imports training.proto)")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--control-port", type=int, default=0)
    parser.add_argument("--price-cogs", type=int, default=10, help="fixed price of the service's own calls")
    parser.add_argument("--expiration-threshold", type=int, default=100, help="payment_expiration_threshold")
    args = parser.parse_args(argv)
    double = start(args.rpc, args.mpe, args.payment_address, base64.b64decode(args.group_id), args.service_proto,
                   args.port, args.price_cogs, args.expiration_threshold)
    control = serve_control(double, args.control_port)
    print(json.dumps({"grpc": f"http://127.0.0.1:{double.grpc_port}",
                      "control": f"http://127.0.0.1:{control.server_address[1]}"}), flush=True)
    try:
        double.grpc_server.wait_for_termination()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
