"""What the daemon answers, as plain records: a model, a channel's state, a method's dataset limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from snet_cli_training.console import render
from snet_cli_training.constants import status_name
from snet_cli_training.services import Location

METHOD_METADATA_FIELDS = (
    "default_model_id", "max_models_per_user", "dataset_max_size_mb", "dataset_max_count_files",
    "dataset_max_size_single_file_mb", "dataset_files_type", "dataset_type", "dataset_description",
)


@dataclass(frozen=True)
class Model:
    """A model as the daemon describes it (ModelResponse), its status as a name (`UNKNOWN(n)` for a number unknown here)."""

    model_id: str
    status: str
    name: str
    description: str
    grpc_service_name: str
    grpc_method_name: str
    is_public: bool
    address_list: tuple[str, ...]
    training_data_link: str
    created_by_address: str
    updated_by_address: str
    created_date: str
    updated_date: str

    @classmethod
    def from_response(cls, response: Any) -> Model:
        """From a training.ModelResponse (addresses in the one case every output uses)."""
        return cls(model_id=response.model_id, status=status_name(response.status), name=response.name,
                   description=response.description, grpc_service_name=response.grpc_service_name,
                   grpc_method_name=response.grpc_method_name, is_public=response.is_public,
                   address_list=tuple(render.address(a) for a in response.address_list),
                   training_data_link=response.training_data_link,
                   created_by_address=render.address(response.created_by_address),
                   updated_by_address=render.address(response.updated_by_address),
                   created_date=response.created_date, updated_date=response.updated_date)

    def created_by(self, address: str) -> bool:
        """Whether ADDRESS (in any case) created the model."""
        return self.created_by_address.lower() == address.lower()

    def to_dict(self, location: Location) -> dict:
        """The model's JSON object (docs/commands.md#json-shapes), with where it lives."""
        return {
            "model_id": self.model_id, "status": self.status, "name": self.name, "description": self.description,
            "grpc_service_name": self.grpc_service_name, "grpc_method_name": self.grpc_method_name,
            "is_public": self.is_public, "address_list": list(self.address_list),
            "training_data_link": self.training_data_link, "created_by_address": self.created_by_address,
            "updated_by_address": self.updated_by_address, "created_date": self.created_date,
            "updated_date": self.updated_date, "org_id": location.org_id, "service_id": location.service_id,
            "group_name": location.group_name,
        }


@dataclass(frozen=True)
class ChannelState:
    """The daemon's view of a payment channel (GetChannelState), numbers as ints (an empty field is 0)."""

    current_nonce: int
    current_signed_amount: int
    current_signature: bytes
    old_nonce_signed_amount: int
    old_nonce_signature: bytes

    @classmethod
    def from_reply(cls, reply: Any) -> ChannelState:
        """From an escrow.ChannelStateReply (big-endian byte fields)."""
        return cls(current_nonce=_uint(reply.current_nonce), current_signed_amount=_uint(reply.current_signed_amount),
                   current_signature=bytes(reply.current_signature),
                   old_nonce_signed_amount=_uint(reply.old_nonce_signed_amount),
                   old_nonce_signature=bytes(reply.old_nonce_signature))


def _uint(data: bytes) -> int:
    return int.from_bytes(data, "big") if data else 0
