"""AuthorizationDetails checks of training.Daemon (docs/protocol.md#authorization)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from snet_cli_training.sandbox.daemon.signing import SignatureError, address_bytes, recover_signer, u256

OWN_MESSAGE_WINDOW = 5
UNIFIED_WINDOW = 600
UNIFIED_RPCS = frozenset({"validate_model_price", "train_model_price", "get_all_models", "get_model"})


class AuthFailure(Exception):
    """Authorization refused; str() is the daemon's detail text."""


def check_authorization(auth: Any, rpc: str, latest_block: Callable[[], int]) -> None:
    """Raise AuthFailure unless `auth` is a valid signature for `rpc` within its block window.

    Order as in the daemon: message, signature, then the block (read fresh on every check).
    """
    if auth.message.lower() == rpc.lower():
        window = OWN_MESSAGE_WINDOW
    elif rpc in UNIFIED_RPCS and auth.message.lower() == "unified":
        window = UNIFIED_WINDOW
    else:
        raise AuthFailure(f"unsupported message: {auth.message} for this method")
    claimed = address_bytes(auth.signer_address)
    signed = auth.message.encode() + claimed + u256(auth.current_block)
    try:
        recovered = recover_signer(signed, auth.signature)
    except SignatureError as exc:
        raise AuthFailure(str(exc)) from exc
    if address_bytes(recovered) != claimed:
        raise AuthFailure(f"the address: {recovered} does not match to what has been expected / registered")
    if abs(auth.current_block - latest_block()) > window:
        raise AuthFailure("authentication failed as the signature passed has expired")


def same_address(a: str, b: str) -> bool:
    return a.lower() == b.lower()
