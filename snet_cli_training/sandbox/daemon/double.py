"""The running double's parts, and what its control API does to them as a whole (reset, force a status)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import grpc

from snet_cli_training.sandbox.daemon.config import Faults, ProviderConfig
from snet_cli_training.sandbox.daemon.payment import PaymentGate
from snet_cli_training.sandbox.daemon.port_split import PortSplitter
from snet_cli_training.sandbox.daemon.provider import Provider
from snet_cli_training.sandbox.daemon.releases import Behaviour
from snet_cli_training.sandbox.daemon.store import ModelStore
from snet_cli_training.sandbox.protocol import STATUS_NAMES


@dataclass
class DaemonDouble:
    grpc_server: grpc.Server
    grpc_port: int
    store: ModelStore
    provider: Provider
    payments: PaymentGate
    config: ProviderConfig
    faults: Faults
    behaviour: Behaviour
    splitter: PortSplitter

    def reset(self) -> float:
        """Fresh state (models, journal, ledger, faults, config, the behaviour it started with); returns the seconds it took."""
        started = time.perf_counter()
        self.store.reset()
        self.provider.reset()
        self.payments.reset()
        self.faults.update({"clear": True})
        self.config.update(ProviderConfig().as_dict())
        self.behaviour.reset()
        return time.perf_counter() - started

    def set_status(self, model_id: str, status: Any) -> dict:
        number = STATUS_NAMES.index(status.upper()) if isinstance(status, str) else int(status)
        record = self.store.get(model_id)
        if record is None:
            raise KeyError(model_id)
        self.provider.forget(model_id)
        with self.store.lock:
            record.status = number
        return record.raw()
