"""One listening port for gRPC and HTTP/1, as snet-daemon serves them: each connection goes by its first bytes.

snet-daemon answers gRPC (HTTP/2) and HTTP/1 (`GET /heartbeat`) on the same host:port, telling
connections apart by what they send first (docs/daemon-releases.md#heartbeat). grpcio cannot
share a socket, so the double's gRPC server listens on a private abstract unix socket and this
acceptor owns the public port: a connection that opens with the HTTP/2 preface is relayed to the
gRPC server byte for byte (with splice(2), so the bytes never enter Python), any other is handed
to the HTTP/1 handler.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import threading
import time
from collections.abc import Callable

HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
# Enough of the preface to tell it from any HTTP/1 request line ("PRI" is no HTTP/1 method).
DECIDING_BYTES = 4
FIRST_BYTES_TIMEOUT = 10.0
PIPE_BYTES = 1024 * 1024
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


def first_bytes(connection: socket.socket, wanted: int = DECIDING_BYTES, timeout: float = FIRST_BYTES_TIMEOUT) -> bytes:
    """Up to `wanted` bytes the peer sent first, left unread in the socket (b"" if it closed or said nothing)."""
    deadline = time.monotonic() + timeout
    connection.settimeout(timeout)
    try:
        while True:
            seen = connection.recv(wanted, socket.MSG_PEEK)
            if len(seen) >= wanted or not seen or not HTTP2_PREFACE.startswith(seen):
                return seen
            if time.monotonic() > deadline:
                return seen
            time.sleep(0.001)  # part of the preface is in: the rest follows in the same packet train
    except OSError:
        return b""
    finally:
        connection.settimeout(None)


def is_grpc(seen: bytes) -> bool:
    """Whether a connection's first bytes are the HTTP/2 preface that every gRPC client sends."""
    return len(seen) >= DECIDING_BYTES and HTTP2_PREFACE.startswith(seen[:len(HTTP2_PREFACE)])


class PortSplitter:
    """Accepts on 127.0.0.1:`port`; relays gRPC connections to `grpc_address` (abstract unix), serves the rest with `http`."""

    def __init__(self, port: int, grpc_address: str, http: Callable[[socket.socket, tuple], None]) -> None:
        self.listener = socket.create_server(("127.0.0.1", port), backlog=128)
        self.port = self.listener.getsockname()[1]
        self.grpc_address = grpc_address
        self.http = http
        self._closed = threading.Event()

    def start(self) -> PortSplitter:
        threading.Thread(target=self._accept, name="port-split", daemon=True).start()
        return self

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self.listener.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                connection, peer = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._route, args=(connection, peer), daemon=True).start()

    def _route(self, connection: socket.socket, peer: tuple) -> None:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        seen = first_bytes(connection)
        if not seen:
            connection.close()
        elif is_grpc(seen):
            self._relay(connection)
        else:
            try:
                self.http(connection, peer)
            finally:
                with contextlib.suppress(OSError):
                    connection.close()

    def _relay(self, client: socket.socket) -> None:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            server.connect("\0" + self.grpc_address)
        except OSError:
            client.close()
            server.close()
            return
        done = threading.Barrier(2, action=lambda: (client.close(), server.close()))
        for source, target in ((client, server), (server, client)):
            threading.Thread(target=_pump, args=(source, target, done), daemon=True).start()


def _pump(source: socket.socket, target: socket.socket, done: threading.Barrier) -> None:
    """Move bytes from `source` to `target` through a pipe until `source` ends; then end `target`'s writing side."""
    read_end, write_end = os.pipe()
    with contextlib.suppress(OSError):
        fcntl.fcntl(write_end, F_SETPIPE_SZ, PIPE_BYTES)
    try:
        source_fd, target_fd = source.fileno(), target.fileno()
        while True:
            moved = os.splice(source_fd, write_end, PIPE_BYTES)
            if moved == 0:
                break
            while moved:
                moved -= os.splice(read_end, target_fd, moved)
    except OSError:
        pass  # a reset or a closed peer ends the relay like an end of stream
    finally:
        os.close(read_end)
        os.close(write_end)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)
        with contextlib.suppress(threading.BrokenBarrierError):
            done.wait()
