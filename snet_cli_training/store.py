"""The local model store: where each model this machine has seen lives, and its last known status."""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Callable, Iterable
from typing import Any

from snet_cli_training import privatefile
from snet_cli_training.services import Location

STORE_VERSION = 1
FILE_NAME = "models.json"
_FIELDS = ("model_id", "network", "org_id", "service_id", "group_name", "endpoint", "grpc_service_name",
           "grpc_method_name", "status")
_OPTIONAL_FIELDS = ("name",)  # added later: a store written before has none


@dataclasses.dataclass(frozen=True)
class StoredModel:
    """One model as the store knows it."""

    model_id: str
    network: str
    location: Location
    grpc_service_name: str
    grpc_method_name: str
    status: str
    name: str = ""

    def to_dict(self) -> dict[str, str]:
        """The store's (and `models --json`'s) flat record."""
        where = self.location
        return {"model_id": self.model_id, "network": self.network, "org_id": where.org_id,
                "service_id": where.service_id, "group_name": where.group_name, "endpoint": where.endpoint,
                "grpc_service_name": self.grpc_service_name, "grpc_method_name": self.grpc_method_name,
                "status": self.status, "name": self.name}

    @classmethod
    def from_dict(cls, item: dict[str, str]) -> StoredModel:
        location = Location(item["org_id"], item["service_id"], item["group_name"], item["endpoint"])
        return cls(item["model_id"], item["network"], location, item["grpc_service_name"], item["grpc_method_name"],
                   item["status"], item.get("name", ""))


def _is_record(value: Any) -> bool:
    return (isinstance(value, dict) and all(isinstance(value.get(name), str) for name in _FIELDS)
            and all(isinstance(value.get(name, ""), str) for name in _OPTIONAL_FIELDS))


def _is_store(document: Any) -> bool:
    return (isinstance(document, dict) and document.get("version") == STORE_VERSION
            and isinstance(document.get("models"), list) and all(_is_record(item) for item in document["models"]))


class ModelStore:
    """The store file in the plugin's folder under snet-cli's config directory; safe for concurrent processes."""

    def __init__(self, folder: pathlib.Path, warn: Callable[[str], None]) -> None:
        self.path = folder / FILE_NAME
        self._warn = warn

    def all(self) -> list[StoredModel]:
        """Every stored model, oldest entry first."""
        document = privatefile.read_trusted(self.path, _is_store, self._warn)
        return [StoredModel.from_dict(item) for item in document["models"]] if document else []

    def find(self, model_id: str, network: str | None = None) -> StoredModel | None:
        """The stored model with this id (on this network when given), or None."""
        for model in self.all():
            if model.model_id == model_id and (network is None or model.network == network):
                return model
        return None

    def save(self, models: Iterable[StoredModel]) -> None:
        """Add or refresh models (keyed by network and model id) under the store's lock."""
        updates = {(model.network, model.model_id): model for model in models}
        if not updates:
            return
        with privatefile.locked(self.path):
            merged = [updates.pop((model.network, model.model_id), model) for model in self.all()]
            merged.extend(updates.values())
            self._write(merged)

    def remove(self, models: Iterable[StoredModel]) -> list[StoredModel]:
        """Drop models (keyed by network and model id) under the store's lock; the entries that were there."""
        keys = {(model.network, model.model_id) for model in models}
        if not keys:
            return []
        with privatefile.locked(self.path):
            current = self.all()
            removed = [model for model in current if (model.network, model.model_id) in keys]
            if removed:
                self._write([model for model in current if (model.network, model.model_id) not in keys])
            return removed

    def _write(self, models: list[StoredModel]) -> None:
        privatefile.write_atomic(self.path, {"version": STORE_VERSION, "models": [m.to_dict() for m in models]})
