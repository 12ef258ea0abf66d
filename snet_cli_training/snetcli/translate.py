"""snet-cli's bare exceptions into the plugin's errors; its stdout kept clean; its `args` restored after use."""

from __future__ import annotations

import contextlib
import re
import sys
import urllib.parse
from collections.abc import Iterator
from typing import Any, TextIO

from requests.exceptions import ConnectionError as RequestsConnectionError, Timeout as RequestsTimeout

from snet_cli_training.console.render import not_found
from snet_cli_training import errors
from snet_cli_training.console.render import clip

# What requests raises when a node does not answer (refused, unreachable, or silent past the timeout).
_TRANSPORT_ERRORS = (RequestsConnectionError, RequestsTimeout)


# snet-cli's own words for what it cannot find, and the plugin's (what, name, why) for each.
_NOT_FOUND = (
    (re.compile(r"Cannot find Service with id=(\S+) in Organization with id=(\S+)"),
     ("service", "{1}/{0}", "not registered on network {network}")),
    (re.compile(r"Cannot find\s+Organization with id=(\S+)"), ("organization", "{0}", "not registered on network {network}")),
    (re.compile(r"Cannot find method=(\S+)"), ("method", "{0}", "the service's proto files have no such method")),
)


@contextlib.contextmanager
def snet_cli(doing: str, error: type[errors.TrainingError] = errors.ConfigurationError, *,
             network: str = "") -> Iterator[None]:
    """Run snet-cli code; what it raises becomes the plugin's error (the one translator).

    An Ethereum node or IPFS node that does not answer is said as such, naming it; a registration
    snet-cli cannot find is a UserInputError naming it on `network`; anything else becomes
    `error("cannot <doing> through snet-cli: ...")`.
    """
    try:
        yield
    except errors.TrainingError:
        raise
    except Exception as exc:  # noqa: BLE001 - snet-cli raises bare Exception, web3 and IPFS their own
        silent = unanswered_node(exc)
        if silent is not None:
            raise silent from exc
        text = str(exc)
        for pattern, (what, name, detail) in _NOT_FOUND:
            found = pattern.search(text)
            if found:
                raise errors.UserInputError(not_found(what, name.format(*found.groups()),
                                                             detail.format(network=network or "?"))) from exc
        raise error(f"cannot {doing} through snet-cli: {clip(text)}") from exc


def unanswered_node(exc: BaseException) -> errors.TrainingError | None:
    """The Ethereum or IPFS node that did not answer, when that is what EXC (or what caused it) says; else None."""
    ipfs_failure = False
    for link in _chain(exc):
        ipfs_failure = ipfs_failure or _is_ipfs_transport_error(link)
        request = getattr(link, "request", None)
        if not isinstance(link, _TRANSPORT_ERRORS) or request is None:
            continue
        node = _origin(str(getattr(request, "url", "") or ""))
        if ipfs_failure:
            return errors.IpfsUnavailable(f"the IPFS node at {node} does not answer: check "
                                          "`snet set default_ipfs_endpoint` / your IPFS endpoint")
        if b'"jsonrpc"' in _body(request):
            return errors.ChainUnavailable(f"the Ethereum node at {node} does not answer: check "
                                           "`snet network list` / your RPC endpoint")
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        yield link
        link = link.__cause__ or link.__context__


def _is_ipfs_transport_error(exc: BaseException) -> bool:
    # ipfshttpclient wraps requests' failures in its own ConnectionError and TimeoutError.
    return type(exc).__module__.startswith("ipfshttpclient") and type(exc).__name__ in ("ConnectionError", "TimeoutError")


def _body(request: Any) -> bytes:
    body = getattr(request, "body", b"") or b""
    return body.encode("utf-8", "replace") if isinstance(body, str) else bytes(body)


def _origin(url: str) -> str:
    """scheme://host[:port] of URL: an RPC URL's path often holds an API key, which is not for printing."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or "?"
    scheme = parts.scheme.split("+")[0]  # ipfshttpclient's own schemes: http+ip4, https+dns6, ...
    return f"{scheme}://{host}" + (f":{parts.port}" if parts.port else "") if scheme else host


@contextlib.contextmanager
def stdout_to(stream: TextIO) -> Iterator[None]:
    """Some snet-cli helpers `print` to stdout directly; with --json stdout must stay clean."""
    if stream is sys.stdout:
        yield
        return
    with contextlib.redirect_stdout(stream):
        yield


@contextlib.contextmanager
def arguments(namespace: Any, **settings: Any) -> Iterator[None]:
    """Set attributes of snet-cli's `args` for one helper call, then put the old ones back."""
    missing = object()
    saved = {name: getattr(namespace, name, missing) for name in settings}
    for name, value in settings.items():
        setattr(namespace, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                delattr(namespace, name)
            else:
                setattr(namespace, name, value)
