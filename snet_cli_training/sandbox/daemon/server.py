"""A gRPC stand-in for snet-daemon v6: training.Daemon, channel state and the proxied service.

Run as ``python -m snet_cli_training.sandbox.daemon.server --rpc URL --mpe 0x.. --payment-address 0x..
--group-id B64 --service-proto SERVICE.proto [--service-proto ...] [--port 0]
[--control-port 0] [--price-cogs 10] [--expiration-threshold 100] [--behaviour intended]
[--daemon-version V] [--provider echo|classifier|HOST:PORT] [--org-id ORG --service-id SERVICE]``.
When ready it prints one JSON line ``{"grpc": "http://127.0.0.1:P", "control": "http://127.0.0.1:C"}``.
Port P serves gRPC and, like snet-daemon, HTTP/1 `GET /heartbeat` (port_split.py).

The control API (HTTP JSON, see control.py; control_client.py is its client): POST /reset, GET /journal,
GET /models, GET|POST /config, GET|POST /fault, GET|POST /behaviour, POST /status {model_id, status}.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import uuid
from concurrent import futures

import grpc

from snet_cli_training.sandbox.daemon import providers
from snet_cli_training.sandbox.daemon.chain_view import ChainView
from snet_cli_training.sandbox.daemon.config import Faults, ProviderConfig
from snet_cli_training.sandbox.daemon.control import serve_control
from snet_cli_training.sandbox.daemon.double import DaemonDouble
from snet_cli_training.sandbox.daemon.handlers import DaemonHandlers
from snet_cli_training.sandbox.daemon.heartbeat import daemon_id, heartbeat, http_server
from snet_cli_training.sandbox.daemon.payment import PaymentGate
from snet_cli_training.sandbox.daemon.port_split import PortSplitter
from snet_cli_training.sandbox.daemon.releases import BEHAVIOURS, Behaviour
from snet_cli_training.sandbox.daemon.service_spec import ServiceSpec
from snet_cli_training.sandbox.daemon.store import ModelStore

MAX_MESSAGE_BYTES = 4 * 1024 * 1024  # the daemon's max_message_size_in_mb default


# Flow control like a daemon whose client is across a real network: HTTP/2 windows stay at the
# 64 KiB default instead of growing by BDP probing on loopback (where a slow handler would let
# the client queue megabytes, far more than any WAN link holds in flight).
FLOW_CONTROL = [("grpc.http2.bdp_probe", 0), ("grpc.http2.lookahead_bytes", 65536)]


def start(rpc: str, mpe: str, payment_address: str, group_id: bytes, service_proto: str | list[str], port: int = 0,
          price_cogs: int = 10, expiration_threshold: int = 100, behaviour: str = "intended",
          daemon_version: str | None = None, provider: str = "echo", served: tuple[str, str] = ("", "")) -> DaemonDouble:
    """Serve the double on 127.0.0.1:`port` (0: any free port), behaving like `behaviour`; return its running parts.

    `provider` is who answers behind it (see providers.py); `served` the organization and service ids.
    """
    chain = ChainView(rpc, mpe)
    config, faults, release = ProviderConfig(), Faults(), Behaviour(behaviour, daemon_version)
    store = ModelStore()
    behind = providers.build(provider, config, faults, store)
    payments = PaymentGate(chain, mpe, payment_address, group_id, expiration_threshold)
    spec = ServiceSpec(service_proto)
    handlers = DaemonHandlers(chain, store, behind, payments, spec, config, faults, price_cogs, release,
                              (*served, base64.b64encode(group_id).decode()))
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16), handlers=handlers.generic_handlers(),
                         options=[("grpc.max_receive_message_length", MAX_MESSAGE_BYTES), *FLOW_CONTROL])
    private = f"snet-daemon-double-{os.getpid()}-{uuid.uuid4().hex}"
    server.add_insecure_port(f"unix-abstract:{private}")
    server.start()
    identity = daemon_id(group_id, payment_address)
    splitter = PortSplitter(port, private, http_server(lambda: heartbeat(release, config, spec, identity))).start()
    return DaemonDouble(server, splitter.port, store, behind, payments, config, faults, release, splitter)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rpc", required=True, help="Ethereum JSON-RPC URL")
    parser.add_argument("--mpe", required=True, help="MultiPartyEscrow address")
    parser.add_argument("--payment-address", required=True, help="the group's payment (recipient) address")
    parser.add_argument("--group-id", required=True, help="the group id, base64 of 32 bytes")
    parser.add_argument("--service-proto", required=True, action="append",
                        help="a .proto file of the service, one of them importing training.proto (repeatable)")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--control-port", type=int, default=0)
    parser.add_argument("--price-cogs", type=int, default=10, help="fixed price of the service's own calls")
    parser.add_argument("--expiration-threshold", type=int, default=100, help="payment_expiration_threshold")
    parser.add_argument("--behaviour", choices=BEHAVIOURS, default="intended",
                        help="the snet-daemon release to behave like (docs/daemon-releases.md)")
    parser.add_argument("--daemon-version", help="the heartbeat's daemonVersion (default: the release's own)")
    parser.add_argument("--provider", default="echo", help="echo, classifier, or HOST:PORT of a provider's own process")
    parser.add_argument("--org-id", default="", help="organization id the daemon serves (create_model forwards it)")
    parser.add_argument("--service-id", default="", help="service id the daemon serves (create_model forwards it)")
    args = parser.parse_args(argv)
    double = start(args.rpc, args.mpe, args.payment_address, base64.b64decode(args.group_id), args.service_proto,
                   args.port, args.price_cogs, args.expiration_threshold, args.behaviour, args.daemon_version,
                   args.provider, (args.org_id, args.service_id))
    control = serve_control(double, args.control_port)
    print(json.dumps({"grpc": f"http://127.0.0.1:{double.grpc_port}",
                      "control": f"http://127.0.0.1:{control.server_address[1]}"}), flush=True)
    try:
        double.grpc_server.wait_for_termination()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
