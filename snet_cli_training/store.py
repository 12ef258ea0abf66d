"""The local model store: where each model this machine has seen lives (org, service, group, endpoint, method)."""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Callable, Iterable
from typing import Any

from snet_cli_training import jsonfile

STORE_VERSION = 1
FILE_NAME = "models.json"


@dataclasses.dataclass(frozen=True)
class StoredModel:
    """One model as the store knows it."""

    model_id: str
    network: str
    org_id: str
    service_id: str
    group_name: str
    endpoint: str
    grpc_service_name: str
    grpc_method_name: str
    status: str

    def to_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)


_FIELDS = tuple(field.name for field in dataclasses.fields(StoredModel))


def _is_record(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(value.get(name), str) for name in _FIELDS)


def _is_store(document: Any) -> bool:
    return (isinstance(document, dict) and document.get("version") == STORE_VERSION
            and isinstance(document.get("models"), list) and all(_is_record(item) for item in document["models"]))


class ModelStore:
    """The store file under snet-cli's config folder; safe for concurrent processes."""

    def __init__(self, folder: pathlib.Path, warn: Callable[[str], None]) -> None:
        self.path = folder / FILE_NAME
        self._warn = warn

    def _load(self) -> list[StoredModel]:
        document = jsonfile.read_trusted(self.path, _is_store, self._warn)
        if document is None:
            return []
        return [StoredModel(**{name: item[name] for name in _FIELDS}) for item in document["models"]]

    def all(self) -> list[StoredModel]:
        """Every stored model, oldest entry first."""
        return self._load()

    def find(self, model_id: str, network: str | None = None) -> StoredModel | None:
        """The stored model with this id (on this network when given), or None."""
        for model in self._load():
            if model.model_id == model_id and (network is None or model.network == network):
                return model
        return None

    def save(self, models: Iterable[StoredModel]) -> None:
        """Add or refresh models (keyed by network and model id) under the store's lock."""
        updates = {(model.network, model.model_id): model for model in models}
        if not updates:
            return
        with jsonfile.locked(self.path):
            current = self._load()
            merged = [updates.pop((model.network, model.model_id), model) for model in current]
            merged.extend(updates.values())
            jsonfile.write_atomic(self.path, {"version": STORE_VERSION, "models": [m.to_dict() for m in merged]})
