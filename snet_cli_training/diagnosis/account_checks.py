"""Checks of the user's side, from facts gathered for free: session, the service's registry entry, the channel, the model."""

from __future__ import annotations

from collections.abc import Mapping

from snet_cli_training.daemon.replies import Model
from snet_cli_training.diagnosis.report import Check, fail, ok, warn
from snet_cli_training.payment.channels import ChannelChoice
from snet_cli_training.payment.funding import FundingPlan
from snet_cli_training.services import ServiceGroup

NEXT_STEPS = {
    "CREATED": "upload a dataset: `snet training upload {model_id} PATH`",
    "VALIDATING": "wait for the validation: `snet training wait {model_id}`",
    "VALIDATED": "train it: `snet training train {model_id}`",
    "TRAINING": "wait for the training: `snet training wait {model_id}`",
    "READY_TO_USE": "use it: `snet training call {model_id} METHOD PARAMS`",
}
RPC_NAMES = {"validate_model": "validate or upload", "train_model": "train", "call": "call"}


def session_check(address: str, network: str, chain_id: int, block: int) -> Check:
    return ok("session", f"identity {address} on network {network} (chain {chain_id}, block {block})")


def registry_check(group: ServiceGroup, trains_in_proto: bool) -> Check:
    """The service's registry entry and metadata: its group, daemon endpoint and price, and whether its API trains."""
    where = group.location
    price = f"{group.price_in_cogs} cogs a call" if group.price_in_cogs is not None else "no fixed call price"
    said = f"{where.service}: group {where.group_name}, daemon {where.endpoint}, {price}"
    if not trains_in_proto:
        return warn("registry", f"{said}; its API does not import training.proto",
                    "the service may not be trainable: ask the provider")
    return ok("registry", said)


def channel_check(choice: ChannelChoice | FundingPlan, needs: Mapping[str, int], has_model: bool) -> Check:
    """The MPE channel to the group against what the next paid calls need (`rpc` → price)."""
    wanted = ", ".join(f"{RPC_NAMES.get(rpc, rpc)} {price} cogs" for rpc, price in needs.items())
    later = "" if has_model else " (validate and train are priced per model: pass --model-id ID to check them)"
    if isinstance(choice, FundingPlan):
        return fail("channel", f"{choice.reason}; the next calls need {wanted}{later}",
                    f"`{choice.snet_command()}` (or pass --open-channel or --fund to the paid command)")
    channel = choice.channel
    left = channel.expiration - choice.current_block
    return ok("channel", f"channel {channel.channel_id}: {choice.unspent} of {channel.value} cogs unspent, expires at "
              f"block {channel.expiration} ({left} blocks from now); enough for {wanted}{later}")


def model_check(model: Model, signer: str, prices: Mapping[str, int]) -> Check:
    """The model's status and prices, and what the user can do with it next."""
    priced = ", ".join(f"{RPC_NAMES[rpc]} {price} cogs" for rpc, price in prices.items())
    said = f"model {model.model_id} ({model.name!r}, {model.grpc_service_name}.{model.grpc_method_name}) is {model.status}"
    said += f"; prices: {priced}" if priced else ""
    if model.status == "DELETED":
        return fail("model", said, "create a new model: `snet training create-model ORG SERVICE --name NAME`")
    if model.status == "ERRORED":
        return warn("model", said, f"the last validation or training failed: upload a dataset again "
                    f"(`snet training upload {model.model_id} PATH`) or ask the provider why")
    if not model.created_by(signer):
        return warn("model", f"{said}; created by {model.created_by_address}, not by you",
                    "only the creator can upload, validate or train it; you can call it once READY_TO_USE")
    step = NEXT_STEPS.get(model.status, "")
    return ok("model", f"{said}; next: {step.format(model_id=model.model_id)}" if step else said)
