"""Which provider answers behind the double: the echo clock, the demo classifier, or a provider's own process."""

from __future__ import annotations

from typing import Any

from snet_cli_training.sandbox.daemon.config import Faults, ProviderConfig
from snet_cli_training.sandbox.daemon.provider import Provider


def build(kind: str, config: ProviderConfig, faults: Faults, store: Any) -> Any:
    """`kind` as catalog.PublishedService.provider names it: "echo", "classifier" or HOST:PORT."""
    if kind == "echo":
        return Provider(config, faults, store)
    if kind == "classifier":
        from snet_cli_training.sandbox.daemon.classifier import ClassifierProvider

        return ClassifierProvider(config, faults, store)
    from snet_cli_training.sandbox.daemon.forwarding import ForwardingProvider

    return ForwardingProvider(kind)
