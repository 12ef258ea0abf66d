"""The chain's JSON-RPC HTTP server.

Run as ``python -m snet_cli_training.sandbox.chain.server [--port P] [--mint ADDRESS]...``; when it is
ready it prints one JSON line ``{"rpc": "http://127.0.0.1:PORT"}`` on stdout.  With ``--mint`` it first
deploys the token, Registry and MultiPartyEscrow (see deployment.py), mints tokens to every ADDRESS,
and the ready line adds ``"token"``, ``"registry"`` and ``"mpe"``.  Chain id 1337, one block per
transaction, ``evm_mine [n]`` mines n empty blocks.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from snet_cli_training.sandbox import http_base
from snet_cli_training.sandbox.chain import DAEMON_USER_AGENT
from snet_cli_training.sandbox.chain.evm import Chain
from snet_cli_training.sandbox.chain.jsonrpc import RpcError
from snet_cli_training.sandbox.http_base import QuietHandler


class _Handler(QuietHandler):
    chain: Chain

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        try:
            request = json.loads(self.rfile.read(length))
        except ValueError:
            self._reply({"jsonrpc": "2.0", "id": None,
                         "error": {"code": -32700, "message": "parse error"}})
            return
        if isinstance(request, list):
            self._reply([self._answer(item) for item in request])
        else:
            self._reply(self._answer(request))

    def _answer(self, request: dict) -> dict:
        reply: dict[str, Any] = {"jsonrpc": "2.0", "id": request.get("id")}
        agent = "daemon" if self.headers.get("User-Agent", "") == DAEMON_USER_AGENT else "client"
        self.chain.count(agent, str(request.get("method")))
        try:
            reply["result"] = self.chain.dispatch(request["method"], request.get("params") or [])
        except RpcError as exc:
            error = {"code": exc.code, "message": exc.message}
            if exc.data is not None:
                error["data"] = exc.data
            reply["error"] = error
        except Exception as exc:  # noqa: BLE001 - every failure must reach the client
            reply["error"] = {"code": -32603, "message": f"{type(exc).__name__}: {exc}"}
        return reply

    def _reply(self, payload: Any) -> None:
        self.send_body(200, json.dumps(payload).encode())


def main(argv: list[str] | None = None) -> None:
    """Build a fresh chain (with the contracts, given --mint) and serve it until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--mint", action="append", default=[], metavar="ADDRESS",
                        help="deploy the contracts first and mint tokens to ADDRESS (repeatable)")
    args = parser.parse_args(argv)
    chain = Chain()
    deployed: dict[str, str] = {}
    if args.mint:
        from snet_cli_training.sandbox.chain.deployment import deploy

        deployed = deploy(chain, args.mint)
    server = http_base.serve(type("ChainHandler", (_Handler,), {"chain": chain}), args.port)
    http_base.run_until_interrupted(server, lambda port: {"rpc": f"http://127.0.0.1:{port}", **deployed})


if __name__ == "__main__":
    sys.exit(main())
