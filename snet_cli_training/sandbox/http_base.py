"""The HTTP handler base of the local stand-ins (chain JSON-RPC, IPFS API, daemon control), and a JSON-RPC call."""

from __future__ import annotations

import argparse
import json
import socket
import urllib.request
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class QuietHandler(BaseHTTPRequestHandler):
    """Keep-alive HTTP/1.1, Nagle off, no request log.

    With Nagle on, keep-alive clients (web3's requests session) stall ~40 ms per request on
    delayed ACKs; with it off a JSON-RPC round trip costs about 1 ms.
    """

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *_args: Any) -> None:
        pass

    def send_body(self, code: int, body: bytes, content_type: str = "application/json") -> None:
        """One whole response, head and body in a single write (see above: no stall on delayed ACKs)."""
        head = (f"HTTP/1.1 {code} {HTTPStatus(code).phrase}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        self.wfile.write(head + body)


def serve(handler: type[QuietHandler], port: int = 0, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """A threading HTTP server for `handler` (call serve_forever yourself)."""
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def run_until_interrupted(server: ThreadingHTTPServer, ready: Callable[[int], dict]) -> None:
    """Print `ready(port)` as one JSON line (the parent waits for it), then serve until Ctrl-C."""
    print(json.dumps(ready(server.server_address[1])), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


def main(description: str, handler: Callable[[], type[QuietHandler]], ready: Callable[[int], dict],
         argv: list[str] | None = None) -> None:
    """A stand-in's command line: `--port P` (0: any free port), then `handler()`'s server runs until Ctrl-C."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    run_until_interrupted(serve(handler(), args.port), ready)


def rpc_call(url: str, method: str, params: list, timeout: float = 10) -> Any:
    """One JSON-RPC call to `url`; its result, or RuntimeError with the error object it answered."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        reply = json.load(response)
    if "error" in reply:
        raise RuntimeError(reply["error"])
    return reply["result"]
