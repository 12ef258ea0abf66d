"""The daemon's heartbeat: HTTP/1.1 `GET /heartbeat` on the gRPC host:port and TLS (docs/daemon-releases.md#heartbeat).

Free and optional: a daemon that does not answer in time (or serves HTTP elsewhere) just has no
heartbeat. The document is self-reported; daemon.behaviour decides what to believe.
"""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from snet_cli_training import safejson
from snet_cli_training.daemon.endpoint import parse_endpoint

HEARTBEAT_TIMEOUT_SECONDS = 3.0
MAX_HEARTBEAT_BYTES = 64 * 1024


@dataclass(frozen=True)
class HeartbeatReply:
    """The heartbeat's JSON object, or why there is none."""

    document: dict[str, Any] | None
    problem: str = ""


def heartbeat_url(endpoint: str) -> str:
    """`https://host:port/heartbeat` for a TLS endpoint, `http://host:port/heartbeat` otherwise."""
    target, secure = parse_endpoint(endpoint)
    return f"{'https' if secure else 'http'}://{target}/heartbeat"


def fetch_heartbeat(endpoint: str, timeout: float = HEARTBEAT_TIMEOUT_SECONDS) -> HeartbeatReply:
    """GET the heartbeat; never raises for what the daemon or the network does."""
    url = heartbeat_url(endpoint)
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=ssl.create_default_context()) as response:
            body = response.read(MAX_HEARTBEAT_BYTES + 1)
    except urllib.error.HTTPError as exc:
        return HeartbeatReply(None, f"{url} answered HTTP {exc.code}")
    except (OSError, ValueError) as exc:  # refused, timed out, TLS, not HTTP/1 at all
        reason = getattr(exc, "reason", None) or exc
        return HeartbeatReply(None, f"no answer from {url}: {reason}")
    if len(body) > MAX_HEARTBEAT_BYTES:
        return HeartbeatReply(None, f"{url} answered more than {MAX_HEARTBEAT_BYTES} bytes: not a heartbeat")
    try:
        document = safejson.loads(body)
    except ValueError:
        return HeartbeatReply(None, f"{url} did not answer JSON")
    if not isinstance(document, dict):
        return HeartbeatReply(None, f"{url} did not answer a JSON object")
    return HeartbeatReply(document)
