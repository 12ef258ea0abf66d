"""The HTTP handler base of the local stand-ins (chain JSON-RPC, IPFS API, daemon control)."""

from __future__ import annotations

import socket
from http.server import BaseHTTPRequestHandler
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
