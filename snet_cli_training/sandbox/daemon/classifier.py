"""The sandbox's demo service behind the daemon: a text classifier that really trains on the uploaded zip.

Validation reads the uploaded bytes (or the bytes at a `validate --link` URL) as a dataset of
textclassifier.py's format and ends VALIDATED or ERRORED; training builds the model from that
dataset; `classify` answers with the model named in the request, or with the built-in sentiment
model when the request names none (or the method's default_model_id). Prices and the time each
step takes come from the control API's configuration, as for the echo provider.
"""

from __future__ import annotations

import urllib.request
from typing import Any

import grpc

from snet_cli_training.sandbox.daemon.config import Faults, ProviderConfig
from snet_cli_training.sandbox.daemon.failure import Failure
from snet_cli_training.sandbox.daemon.provider import ERRORED, READY_TO_USE, TRAINING, VALIDATED, VALIDATING, Provider
from snet_cli_training.sandbox.daemon.textclassifier import DatasetRejected, TextModel, default_model, examples_from_zip, train

DEFAULT_MODEL_ID = "default"  # the method's default_model_id option in text_classifier.proto
MAX_DATASET_BYTES = 16 * 1024 * 1024  # the service declares 1 MB; anything far past it is refused unread


class CollectingSink:
    """An upload kept in memory for validation."""

    def __init__(self, provider: ClassifierProvider) -> None:
        self.provider = provider
        self.data = bytearray()
        self.too_big = False

    def send(self, upload_input: Any) -> None:
        if len(self.data) + len(upload_input.data) > MAX_DATASET_BYTES:
            self.too_big = True
        else:
            self.data += upload_input.data

    def finish(self, model_id: str) -> int:
        if not model_id:
            return VALIDATING
        return self.provider.validate_dataset(model_id, None if self.too_big else bytes(self.data))

    def abort(self) -> None:
        self.data.clear()


class ClassifierProvider(Provider):
    def __init__(self, config: ProviderConfig, faults: Faults, store: Any) -> None:
        super().__init__(config, faults, store)
        self.datasets: dict[str, list[tuple[str, str]]] = {}
        self.models: dict[str, TextModel] = {}
        self.problems: dict[str, str] = {}  # why a model's validation or training ended ERRORED
        self.default = default_model()

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self.datasets.clear()
            self.models.clear()
            self.problems.clear()

    def upload(self) -> CollectingSink:
        return CollectingSink(self)

    def start_validation(self, model_id: str, training_data_link: str = "") -> int:
        """validate_model: the dataset the service fetches from the link itself."""
        try:
            with urllib.request.urlopen(training_data_link, timeout=30) as response:
                data = response.read(MAX_DATASET_BYTES + 1)
        except (OSError, ValueError) as exc:
            return self._failed(model_id, VALIDATING, f"cannot fetch {training_data_link}: {exc}")
        return self.validate_dataset(model_id, data if len(data) <= MAX_DATASET_BYTES else None)

    def validate_dataset(self, model_id: str, data: bytes | None) -> int:
        """Read `data` (None: too big to keep) as the model's dataset; VALIDATING until validate_seconds pass."""
        if data is None:
            return self._failed(model_id, VALIDATING, f"the dataset is larger than {MAX_DATASET_BYTES} bytes")
        try:
            examples = examples_from_zip(data)
        except DatasetRejected as exc:
            return self._failed(model_id, VALIDATING, str(exc))
        if self.faults.take_reject():
            return self._failed(model_id, VALIDATING, "rejected on request of the control API")
        with self._lock:
            self.datasets[model_id] = examples
            self.problems.pop(model_id, None)
        return self._start(model_id, VALIDATING, VALIDATED, self.config.validate_seconds)

    def start_training(self, model_id: str) -> int:
        with self._lock:
            examples = self.datasets.get(model_id)
        if examples is None:
            return self._failed(model_id, TRAINING, "no validated dataset to train on: upload one first")
        model = train(examples)
        with self._lock:
            self.models[model_id] = model
        return self._start(model_id, TRAINING, READY_TO_USE, self.config.train_seconds)

    def _failed(self, model_id: str, running: int, problem: str) -> int:
        with self._lock:
            self.problems[model_id] = problem
        return self._start(model_id, running, ERRORED, self.config.validate_seconds)

    def delete_model(self, model_id: str) -> None:
        super().delete_model(model_id)
        with self._lock:
            self.datasets.pop(model_id, None)
            self.models.pop(model_id, None)

    def answer(self, method: Any, request: Any, user: str) -> tuple[Any, str]:
        model_id = request.model_id.model_id
        if model_id in ("", DEFAULT_MODEL_ID):
            model, name = self.default, DEFAULT_MODEL_ID
        else:
            self.check_inference_model(model_id, user)
            with self._lock:
                model, name = self.models.get(model_id), model_id
            if model is None:
                raise Failure(f"model {model_id} was never trained", grpc.StatusCode.FAILED_PRECONDITION)
        label, confidence = model.classify(request.text)
        return method.response(label=label, confidence=round(confidence, 3), model=name), model_id
