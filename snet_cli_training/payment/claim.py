"""The signed bytes of a payment: the MPE claim, the channel-state request, and the paid call's headers.

Both signatures are EIP-191 personal signatures of a keccak hash (docs/protocol.md#payment);
the signer keeps its key (daemon.authorization.Signer).
"""

from __future__ import annotations

from typing import Any

from eth_utils import keccak, to_checksum_address

TRAINING_RPCS = ("upload_and_validate", "validate_model", "train_model")
# Unary training calls accept only train-call; the upload stream accepts escrow and train-call,
# both priced from the model's ValidatePrice, so train-call serves all three. A service call is escrow.
TRAIN_CALL = "train-call"
ESCROW = "escrow"


def _address_bytes(address: str) -> bytes:
    return bytes.fromhex(to_checksum_address(address)[2:])


def claim_hash(mpe_address: str, channel_id: int, nonce: int, amount: int) -> bytes:
    """keccak("__MPE_claim_message" ‖ mpe ‖ uint256 channel ‖ uint256 nonce ‖ uint256 amount)."""
    return keccak(b"__MPE_claim_message" + _address_bytes(mpe_address) + int(channel_id).to_bytes(32, "big")
                  + int(nonce).to_bytes(32, "big") + int(amount).to_bytes(32, "big"))


def channel_state_hash(mpe_address: str, channel_id: int, block: int) -> bytes:
    """keccak("__get_channel_state" ‖ mpe ‖ uint256 channel ‖ uint256 block), the GetChannelState message."""
    return keccak(b"__get_channel_state" + _address_bytes(mpe_address) + int(channel_id).to_bytes(32, "big")
                  + int(block).to_bytes(32, "big"))


def payment_metadata(*, rpc: str, model_id: str, channel_id: int, nonce: int, amount: int,
                     signature: bytes) -> list[tuple[str, Any]]:
    """The gRPC metadata of a paid call: train-call for the training RPCs (with the model header), escrow for a service call."""
    metadata: list[tuple[str, Any]] = [
        ("snet-payment-type", TRAIN_CALL if rpc in TRAINING_RPCS else ESCROW),
        ("snet-payment-channel-id", str(channel_id)),
        ("snet-payment-channel-nonce", str(nonce)),
        ("snet-payment-channel-amount", str(amount)),
        ("snet-payment-channel-signature-bin", bytes(signature)),
    ]
    if rpc in TRAINING_RPCS:
        metadata.append(("snet-train-model-id", model_id))
    return metadata
