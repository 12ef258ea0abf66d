"""A daemon endpoint as gRPC needs it: `https://host[:port]` is TLS, `http://...` and `host:port` plain."""

from __future__ import annotations

import grpc

from snet_cli_training import errors

MAX_MESSAGE_BYTES = 8 * 1024 * 1024


def parse_endpoint(endpoint: str) -> tuple[str, bool]:
    """`https://host[:port][/]` → ("host:port", True); `http://...` and bare `host:port` → plain."""
    text = endpoint.strip()
    secure = text.lower().startswith("https://")
    scheme_port = ""
    if "://" in text:
        scheme, text = text.split("://", 1)
        scheme_port = {"https": "443", "http": "80"}.get(scheme.lower(), "")
        if not scheme_port:
            raise errors.UserInputError(f"unsupported daemon endpoint {endpoint!r}: use http://, https:// or host:port")
    text = text.split("/", 1)[0]
    if not text:
        raise errors.UserInputError(f"daemon endpoint {endpoint!r} has no host")
    if scheme_port and not _has_port(text):
        text = f"{text}:{scheme_port}"
    return text, secure


def _has_port(host: str) -> bool:
    if host.startswith("["):
        return "]:" in host
    return ":" in host


def open_channel(endpoint: str) -> grpc.Channel:
    """A gRPC channel to the daemon: TLS for https://, plain otherwise, with 8 MiB message limits."""
    target, secure = parse_endpoint(endpoint)
    options = [("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
               ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)]
    if secure:
        return grpc.secure_channel(target, grpc.ssl_channel_credentials(), options=options)
    return grpc.insecure_channel(target, options=options)
