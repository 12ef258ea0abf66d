"""The one translation of a daemon's gRPC failures into the plugin's typed errors (docs/protocol.md#errors).

Training handler errors are plain Go errors (gRPC UNKNOWN), so most are told apart by their text.
"""

from __future__ import annotations

import grpc

from snet_cli_training.console.render import not_found
from snet_cli_training import errors
from snet_cli_training.console import render

_TRAINING_DISABLED_TEXT = "service end point is not defined or is invalid"
_PAYMENT_TEXTS = ("income", "not enough tokens", "incorrect payment channel nonce", "payment channel",
                  "another transaction on channel", "payment signature", "payment is not signed",
                  "snet-payment-type")
_AUTHORIZATION_TEXTS = ("signature passed has expired", "bad authorization provided", "incorrect signature",
                        "no authorization provided", "does not match to what has been expected",
                        "unsupported message")
_UPLOAD_BUG_TEXT = "WrapperServerStream: unexpected message type"
_CREATOR_ACTIONS = {
    "validate_model_price": "ask its validation price", "upload_and_validate": "upload its dataset",
    "validate_model": "validate it", "train_model_price": "ask its training price", "train_model": "train it",
    "delete_model": "delete it", "update_model": "update it",
}


def map_rpc_error(error: grpc.RpcError, *, endpoint: str, rpc: str, model_id: str = "",
                  signer_address: str = "") -> errors.DaemonError:
    """The one translation of a daemon's gRPC failure into the plugin's exceptions."""
    code = error.code() if hasattr(error, "code") else None
    details = (error.details() if hasattr(error, "details") else "") or ""
    code_name = code.name if code is not None else ""
    context = {"endpoint": endpoint, "code": code_name, "details": details}
    text = details.lower()
    model = f"model {model_id}" if model_id else "the model"

    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        reason = "no answer before the deadline" if code == grpc.StatusCode.DEADLINE_EXCEEDED else details
        return errors.DaemonUnavailable(f"daemon at {endpoint} is unreachable: {reason}", **context)
    if _TRAINING_DISABLED_TEXT in text:
        return errors.TrainingDisabled(
            f"training is not enabled on the daemon at {endpoint} (it says: {details.strip()})", **context)
    if code == grpc.StatusCode.UNIMPLEMENTED or 'missing "snet-payment-channel-id"' in text:
        return errors.TrainingDisabled(f"the daemon at {endpoint} has no training support", **context)
    if any(fragment in text for fragment in _PAYMENT_TEXTS):
        return errors.PaymentError(f"the daemon at {endpoint} refused the payment for {rpc}: {_unwrap(details)}",
                                   **context)
    if any(fragment in text for fragment in _AUTHORIZATION_TEXTS):
        return errors.AuthorizationExpired(
            f"the daemon at {endpoint} refused the signed authorization for {rpc}: {_unwrap(details)}", **context)
    if "does not have access to model id" in text:
        who = render.address(signer_address) if signer_address else "this identity"
        return errors.ModelNotFound(not_found("model", model_id or "?", f"the daemon at {endpoint} has none that "
                                                     f"{who} may see: deleted, never created, or access removed"),
                                    **context)
    if "model data doesn't exist for modelid" in text:
        return errors.ModelNotFound(not_found("model", model_id or "?", f"the daemon at {endpoint} has no such model"),
                                    **context)
    if "only owner can change the model state" in text:
        action = _CREATOR_ACTIONS.get(rpc, f"call {rpc} on it")
        return errors.AccessDenied(f"only the model's creator can {action} ({model})", **context)
    if _UPLOAD_BUG_TEXT in details:
        return errors.UploadUnsupported(
            f"the daemon at {endpoint} cannot receive uploads (a known bug of snet-daemon v6.2.0-v6.2.3; "
            f"nothing was charged): {details}", **context)
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        return errors.DaemonError(f"the daemon at {endpoint} refused {rpc} as too large or too frequent: {details}",
                                  **context)
    return errors.DaemonError(f"the daemon at {endpoint} refused {rpc}: {details or code_name}", **context)


def _unwrap(details: str) -> str:
    """Python's rendering of the daemon's custom code 1000 wraps the real text; show that text."""
    marker = 'Server sent unknown code None and details "'
    if details.startswith(marker) and details.endswith('"'):
        return details[len(marker):-1]
    return details
