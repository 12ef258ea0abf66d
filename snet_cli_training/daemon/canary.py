"""The fail-closed canary: one unsigned, empty first upload message (docs/daemon-releases.md#fail-closed-canary).

A daemon that drops the first message drops the canary and receives the dataset whole; one that
does not drop it rejects it for its missing authorization, rolls the payment back, and the
upload is sent again without it. Never a copy of chunk 1 (a non-dropping daemon would forward
it) and never a message without upload_input (the daemon panics).
"""

from __future__ import annotations

from typing import Any

from snet_cli_training import errors
from snet_cli_training.daemon import protocol

# The handler's answer to a message without authorization; a refused signature adds ": <detail>".
CANARY_REJECTION = "invalid request: no authorization provided"


def canary_message(model_id: str, file_name: str, file_size: int, batch_size: int, batch_count: int) -> Any:
    """The canary: the upload's own fields, batch 1, no data (the feed sends it without authorization)."""
    return protocol.messages().UploadInput(model_id=model_id, data=b"", file_name=file_name, file_size=file_size,
                                           batch_size=batch_size, batch_number=1, batch_count=batch_count)


def canary_rejected(error: errors.DaemonError) -> bool:
    """Whether an upload failed because the daemon read the canary itself (it does not drop the first message)."""
    return error.details.strip() == CANARY_REJECTION
