"""The service provider behind the daemon, reduced to a status clock the test controls.

Validation runs VALIDATING -> VALIDATED (or ERRORED when the dataset is rejected) after
`validate_seconds`; training runs TRAINING -> READY_TO_USE after `train_seconds`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from snet_cli_training.sandbox.daemon.config import Faults, ProviderConfig

CREATED, VALIDATING, VALIDATED, TRAINING, READY_TO_USE, ERRORED, DELETED = range(7)


@dataclass
class _Job:
    running: int
    final: int
    done_at: float


class Provider:
    def __init__(self, config: ProviderConfig, faults: Faults) -> None:
        self.config = config
        self.faults = faults
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._jobs.clear()

    def start_validation(self, model_id: str) -> int:
        final = ERRORED if self.faults.take_reject() else VALIDATED
        return self._start(model_id, VALIDATING, final, self.config.validate_seconds)

    def start_training(self, model_id: str) -> int:
        return self._start(model_id, TRAINING, READY_TO_USE, self.config.train_seconds)

    def _start(self, model_id: str, running: int, final: int, seconds: float) -> int:
        with self._lock:
            self._jobs[model_id] = _Job(running, final, time.monotonic() + seconds)
        return running

    def status(self, model_id: str, stored: int) -> int:
        """The provider's get_model_status: a running job's status, else what the daemon stored."""
        with self._lock:
            job = self._jobs.get(model_id)
        if job is None:
            return stored
        return job.final if time.monotonic() >= job.done_at else job.running

    def forget(self, model_id: str) -> None:
        with self._lock:
            self._jobs.pop(model_id, None)
