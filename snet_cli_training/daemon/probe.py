"""Free questions to a daemon that need no signature: does it connect, and does it pre-read upload streams.

The upload probe opens upload_and_validate with no payment headers and no message at all
(docs/daemon-releases.md#upload-probe): the payment interceptor answers `missing
"snet-payment-channel-id"` unless a pre-read of the first message ran into the end of the stream
first (`EOF`). No channel is locked, nothing is charged, and the handler is never reached.
"""

from __future__ import annotations

import enum
import threading
from dataclasses import dataclass

import grpc

from snet_cli_training.daemon import protocol
from snet_cli_training.daemon.rpc_errors import map_rpc_error

PROBE_TIMEOUT_SECONDS = 10.0


class PreRead(enum.Enum):
    """What the upload probe showed."""

    NONE = "no pre-read"
    PRE_READS = "pre-reads the first message"
    UNCLEAR = "unclear"


@dataclass(frozen=True)
class ProbeResult:
    pre_read: PreRead
    code: str  # the gRPC status name of the answer
    details: str


def connect(channel: grpc.Channel, timeout: float) -> str:
    """"ready" once the channel connects (TCP and, for https, TLS), "failed" at its first failed attempt, or "timeout"."""
    settled = threading.Event()
    seen: list[grpc.ChannelConnectivity] = []

    def watch(state: grpc.ChannelConnectivity) -> None:
        if state in (grpc.ChannelConnectivity.READY, grpc.ChannelConnectivity.TRANSIENT_FAILURE):
            seen.append(state)
            settled.set()

    channel.subscribe(watch, try_to_connect=True)
    try:
        if not settled.wait(timeout):
            return "timeout"
        return "ready" if seen[0] is grpc.ChannelConnectivity.READY else "failed"
    finally:
        channel.unsubscribe(watch)


def probe_upload(channel: grpc.Channel, endpoint: str, timeout: float = PROBE_TIMEOUT_SECONDS) -> ProbeResult:
    """The zero-message, unpaid upload; DaemonUnavailable when the daemon does not answer."""
    messages = protocol.messages()
    call = channel.stream_unary(protocol.method_path(protocol.DAEMON_SERVICE, "upload_and_validate"),
                                request_serializer=messages.UploadAndValidateRequest.SerializeToString,
                                response_deserializer=messages.StatusResponse.FromString)
    try:
        call(iter(()), timeout=timeout)
    except grpc.RpcError as exc:
        code, details = exc.code(), exc.details() or ""
        if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            raise map_rpc_error(exc, endpoint=endpoint, rpc="upload_and_validate") from exc
        return ProbeResult(_classify(code, details), code.name, details)
    # No snet-daemon release accepts an unpaid, empty upload: whatever this is, it is unclear.
    return ProbeResult(PreRead.UNCLEAR, "OK", "an unpaid upload with no message was accepted")


def _classify(code: grpc.StatusCode, details: str) -> PreRead:
    if code == grpc.StatusCode.INVALID_ARGUMENT and 'missing "snet-payment-channel-id"' in details:
        return PreRead.NONE
    if code == grpc.StatusCode.UNKNOWN and details.strip() == "EOF":
        return PreRead.PRE_READS
    return PreRead.UNCLEAR
