"""The service provider behind the daemon: training.Model's calls and the service's own methods.

Every provider has the methods of `Provider` below, which the daemon's handlers call where
snet-daemon calls its provider (docs/protocol.md#per-rpc-semantics): `create_model`, the two
prices, `upload()` (a sink for the stream's UploadInput messages), `start_validation` and
`start_training`, `status` (get_model_status), `delete_model`, `forget` and `answer` (a
service call, with the channel's sender as the user). Three exist: this one, the tests' echo
service reduced to a status clock the test controls; classifier.py, the sandbox's demo service
that really trains; forwarding.py, a provider's own process reached over gRPC.

Here validation runs VALIDATING -> VALIDATED (or ERRORED when the dataset is rejected) after
`validate_seconds`; training runs TRAINING -> READY_TO_USE after `train_seconds`.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import grpc

from snet_cli_training.sandbox import protocol
from snet_cli_training.sandbox.daemon.config import Faults, ProviderConfig
from snet_cli_training.sandbox.daemon.failure import Failure

CREATED, VALIDATING, VALIDATED, TRAINING, READY_TO_USE, ERRORED, DELETED = range(7)


@dataclass
class _Job:
    running: int
    final: int
    done_at: float


class DigestOnlySink:
    """An upload the provider does not keep (the daemon's handler already hashes and counts it)."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider

    def send(self, upload_input: Any) -> None:
        """One UploadInput of the stream."""

    def finish(self, model_id: str) -> int:
        """The stream ended: the status the provider answers."""
        return self.provider.start_validation(model_id)

    def abort(self) -> None:
        """The daemon gave up on the stream."""


class Provider:
    def __init__(self, config: ProviderConfig, faults: Faults, store: Any = None) -> None:
        self.config = config
        self.faults = faults
        self.store = store  # the daemon's model records: what a built-in provider checks a service call against
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._jobs.clear()

    def create_model(self, new_model: Any) -> str:
        """training.Model/create_model: the new model's id."""
        return uuid.uuid4().hex

    def validate_price(self, model_id: str, training_data_link: str = "") -> int:
        return self.config.validate_price

    def train_price(self, model_id: str) -> int:
        return self.config.train_price

    def upload(self) -> DigestOnlySink:
        """A sink for one upload_and_validate stream."""
        return DigestOnlySink(self)

    def start_validation(self, model_id: str, training_data_link: str = "") -> int:
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

    def delete_model(self, model_id: str) -> None:
        """training.Model/delete_model."""
        self.forget(model_id)

    def forget(self, model_id: str) -> None:
        """Drop a running job, so that a status set from outside sticks."""
        with self._lock:
            self._jobs.pop(model_id, None)

    def answer(self, method: Any, request: Any, user: str) -> tuple[Any, str]:
        """A call of the echo service's own method: (response, the model id it used, or "")."""
        if method.name != "answer":
            return method.response(text=request.text), ""
        model_id = request.model_id.model_id
        self.check_inference_model(model_id, user)
        return method.response(text=request.text, model_id=model_id), model_id

    def check_inference_model(self, model_id: str, user: str) -> None:
        """What a provider does with `snet-user-address`: the daemon itself checks nothing."""
        record = self.store.get(model_id)
        if record is None or record.status == DELETED:
            raise Failure(f"model {model_id} not found", grpc.StatusCode.NOT_FOUND)
        if not self.store.has_access(model_id, user):
            raise Failure(f"user {user} has no access to model {model_id}", grpc.StatusCode.PERMISSION_DENIED)
        status = self.status(model_id, record.status)
        if status != READY_TO_USE:
            raise Failure(f"model {model_id} is not ready to use, status: {protocol.STATUS_NAMES[status]}",
                          grpc.StatusCode.FAILED_PRECONDITION)
