"""Sending a paid upload in its mode: plain, or behind the fail-closed canary, sent again plain at most once.

pay_once calls the sender once with the signed payment headers. The daemon commits a payment
only when the upload succeeds, so after a rejected canary the same headers pay for the plain
upload: whatever happens, the dataset is paid once or not at all.
"""

from __future__ import annotations

from typing import Any

from snet_cli_training import errors
from snet_cli_training.console.progress import progress_bar
from snet_cli_training.console.streams import Console
from snet_cli_training.daemon.behaviour import UploadBehaviour, upload_refusal
from snet_cli_training.daemon.canary import canary_message, canary_rejected
from snet_cli_training.daemon.client import DaemonClient
from snet_cli_training.daemon.upload_source import UploadSource


class UploadSender:
    """`sender(payment_metadata)` → the status name; `mode` says how the dataset went ("plain" or "canary")."""

    def __init__(self, console: Console, daemon: DaemonClient, source: UploadSource, mode: str,
                 behaviour: UploadBehaviour) -> None:
        self.console, self.daemon, self.source, self.behaviour = console, daemon, source, behaviour
        self.mode = mode

    def __call__(self, metadata: list[tuple[str, Any]]) -> str:
        try:
            if self.mode == "canary":
                try:
                    return self._stream(metadata, canary=True)
                except errors.AuthorizationExpired as exc:
                    if not canary_rejected(exc):
                        raise
                    self.console.say("the daemon read the canary message itself, so it does not drop the first "
                                     "message: nothing was charged; sending the upload again without it")
                    self.mode = "plain"
            return self._stream(metadata, canary=False)
        except errors.UploadUnsupported as exc:
            raise errors.UploadUnsupported(
                upload_refusal(self.daemon.endpoint, self.behaviour, self.source.model_id, signed=True),
                endpoint=exc.endpoint, code=exc.code, details=exc.details) from exc

    def _stream(self, metadata: list[tuple[str, Any]], *, canary: bool) -> str:
        source = self.source
        first = canary_message(source.model_id, source.file_name, source.file_size, source.chunk_size,
                               source.batch_count) if canary else None
        with progress_bar(self.console, source.file_size, f"upload {source.file_name}") as progress:
            source.progress = progress
            return self.daemon.upload_and_validate(source, payment_metadata=metadata, canary=first)
