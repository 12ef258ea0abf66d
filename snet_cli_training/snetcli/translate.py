"""snet-cli's bare exceptions into the plugin's errors; its stdout kept clean; its `args` restored after use."""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from snet_cli_training import errors


# snet-cli's own words for what is not registered, and the plugin's sentence for each.
_NOT_REGISTERED = (
    (re.compile(r"Cannot find Service with id=(\S+) in Organization with id=(\S+)"),
     "service {0} is not registered in organization {1} on network {network}"),
    (re.compile(r"Cannot find\s+Organization with id=(\S+)"), "organization {0} is not registered on network {network}"),
)


@contextlib.contextmanager
def snet_cli(doing: str, error: type[errors.TrainingError] = errors.ConfigurationError, *,
             network: str = "") -> Iterator[None]:
    """Run snet-cli code; what it raises becomes the plugin's error (the one translator).

    A registration snet-cli cannot find is a UserInputError naming it on `network`; anything
    else becomes `error("cannot <doing> through snet-cli: ...")`.
    """
    try:
        yield
    except errors.TrainingError:
        raise
    except Exception as exc:  # noqa: BLE001 - snet-cli raises bare Exception, web3 and IPFS their own
        text = str(exc)
        for pattern, sentence in _NOT_REGISTERED:
            found = pattern.search(text)
            if found:
                raise errors.UserInputError(sentence.format(*found.groups(), network=network or "?")) from exc
        raise error(f"cannot {doing} through snet-cli: {text}") from exc


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
