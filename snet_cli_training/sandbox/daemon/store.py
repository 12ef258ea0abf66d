"""The daemon's model records, per-address indexes and public list (docs/protocol.md#per-rpc-semantics)."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from snet_cli_training.sandbox.daemon.provider import DELETED


def today() -> str:
    return time.strftime("%d-%m-%Y")


@dataclass
class ModelRecord:
    model_id: str
    name: str
    description: str
    grpc_method_name: str
    grpc_service_name: str
    address_list: list[str]
    is_public: bool
    created_by: str
    updated_by: str
    created_date: str
    updated_date: str
    status: int = 0
    training_data_link: str = ""
    validate_price: int = 0
    train_price: int = 0
    uploads: list[dict] = field(default_factory=list)

    def response_fields(self) -> dict[str, Any]:
        """Keyword arguments for training.ModelResponse."""
        return {
            "model_id": self.model_id, "status": self.status, "created_date": self.created_date,
            "updated_date": self.updated_date, "name": self.name, "description": self.description,
            "grpc_method_name": self.grpc_method_name, "grpc_service_name": self.grpc_service_name,
            "address_list": list(self.address_list), "is_public": self.is_public,
            "training_data_link": self.training_data_link, "created_by_address": self.created_by,
            "updated_by_address": self.updated_by,
        }

    def raw(self) -> dict[str, Any]:
        return asdict(self)


class ModelStore:
    """All records, guarded by one lock; callers hold `store.lock` around read-modify-write."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.models: dict[str, ModelRecord] = {}
        self.index: dict[str, list[str]] = {}   # lowercased address -> model ids, in grant order
        self.public: list[str] = []             # model ids in the order they were made public

    def reset(self) -> None:
        with self.lock:
            self.models, self.index, self.public = {}, {}, []

    def create(self, new_model: Any, signer: str, model_id: str | None = None) -> ModelRecord:
        """A new record of `new_model` by `signer`, under the provider's `model_id` (a fresh one if None)."""
        creator = signer.lower()
        addresses = list(new_model.address_list)
        if not any(a.lower() == creator for a in addresses):
            addresses.append(creator)
        with self.lock:
            record = ModelRecord(
                model_id=model_id or uuid.uuid4().hex, name=new_model.name, description=new_model.description,
                grpc_method_name=new_model.grpc_method_name, grpc_service_name=new_model.grpc_service_name,
                address_list=addresses, is_public=new_model.is_public, created_by=creator,
                updated_by=creator, created_date=today(), updated_date=today())
            self.models[record.model_id] = record
            for address in addresses:
                self._grant(address, record.model_id)
            if record.is_public:
                self.public.append(record.model_id)
            return record

    def get(self, model_id: str) -> ModelRecord | None:
        with self.lock:
            return self.models.get(model_id)

    def has_access(self, model_id: str, signer: str) -> bool:
        with self.lock:
            return model_id in self.public or model_id in self.index.get(signer.lower(), ())

    def update(self, record: ModelRecord, request: Any) -> None:
        """Apply update_model: set fields change; a non-empty list replaces the old one.

        Differs from daemon v6 on purpose: there, addresses dropped from the list keep access
        and added ones get the id twice in their index (docs/protocol.md#update_model calls both bugs).  Here
        dropped addresses lose access and added ones get it once, which is what the daemon's
        code intends.  The creator always keeps access, as it does in practice on the daemon.
        """
        with self.lock:
            if request.HasField("model_name"):
                record.name = request.model_name
            if request.HasField("description"):
                record.description = request.description
            if request.address_list:
                old = record.address_list
                new = list(request.address_list)
                if not any(a.lower() == record.created_by for a in old):
                    new.append(record.created_by)
                old_lower = {a.lower() for a in old}
                new_lower = {a.lower() for a in new} | {record.created_by}
                for address in old_lower - new_lower:
                    self._revoke(address, record.model_id)
                for address in new:
                    if address.lower() not in old_lower:
                        self._grant(address, record.model_id)
                record.address_list = new
            record.updated_by = request.authorization.signer_address
            record.updated_date = today()

    def delete(self, record: ModelRecord) -> None:
        """Status DELETED; out of every address index but, as on the daemon, not the public list."""
        with self.lock:
            record.status = DELETED
            record.updated_date = today()
            for address in {a.lower() for a in record.address_list} | {record.created_by}:
                self._revoke(address, record.model_id)

    def listing(self, request: Any, signer: str, duplicate: bool = False, ignore_page: bool = False) -> list[ModelRecord]:
        """get_all_models: the signer's private models, then all public ones; filters; 0-based paging."""
        with self.lock:
            public_flag = request.is_public if request.HasField("is_public") else None
            ids: list[str] = []
            if public_flag is not True:
                ids += [m for m in self.index.get(signer.lower(), ()) if not self.models[m].is_public]
            if public_flag is not False:
                ids += self.public
            records = [self.models[m] for m in ids if self._matches(self.models[m], request)]
        if duplicate and records:
            # Control switch `duplicate_listing`: repeat one model, as daemon v6's index bug does
            # for addresses added by update_model, so clients' duplicate dropping can be tested.
            records.append(records[0])
        if request.page or request.page_size:
            size, page = max(request.page_size, 1), 0 if ignore_page else request.page
            records = records[page * size:(page + 1) * size]
        return records

    @staticmethod
    def _matches(record: ModelRecord, request: Any) -> bool:
        statuses = set(request.statuses) or set(range(7))
        return (record.status in statuses
                and request.name.lower() in record.name.lower()
                and request.grpc_method_name in record.grpc_method_name
                and request.grpc_service_name in record.grpc_service_name
                and request.created_by_address.lower() in record.created_by.lower())

    def _grant(self, address: str, model_id: str) -> None:
        ids = self.index.setdefault(address.lower(), [])
        if model_id not in ids:
            ids.append(model_id)

    def _revoke(self, address: str, model_id: str) -> None:
        ids = self.index.get(address.lower(), [])
        if model_id in ids:
            ids.remove(model_id)
