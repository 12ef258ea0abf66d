"""The double's RPC error: what a handler or a provider raises to end a call with a gRPC code and the daemon's text."""

from __future__ import annotations

from typing import Any

import grpc


class Failure(Exception):
    """An RPC error: gRPC code (UNKNOWN for the daemon's plain Go errors) and text."""

    def __init__(self, message: str, code: Any = grpc.StatusCode.UNKNOWN) -> None:
        super().__init__(message)
        self.code, self.message = code, message
