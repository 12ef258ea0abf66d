"""An upload's messages on their way to the daemon, each with a fresh authorization as blocks pass.

The daemon checks every upload message's authorization against its latest block (±5), so a
long upload re-signs along the way (docs/protocol.md#authorization).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from typing import Any

from snet_cli_training.errors import UserInputError

# An upload message is re-signed once its authorization is this many blocks old; the daemon
# allows 5, and its node may lag ours.
UPLOAD_RESIGN_BLOCKS = 2


class UploadFeed:
    """Wraps the caller's upload messages with fresh authorizations, after an optional unsigned canary.

    When the caller's iterator fails, the call must be cancelled: ending the stream would
    hand the daemon a truncated dataset as if it were whole. The exception is kept for
    upload_and_validate to raise (gRPC itself would only log it). A stream the caller leaves
    empty is cancelled too: a paid upload with no message crashes released daemons.
    """

    def __init__(self, requests: Iterable[Any], authorizer: Any, messages: Any, canary: Any = None) -> None:
        self._requests = requests
        self._authorizer = authorizer
        self._messages = messages
        self._canary = canary
        self._authorization: Any = None
        self._future: Any = None
        self._attached = threading.Event()
        self.failure: BaseException | None = None
        self.model_id = ""

    def attach(self, future: Any) -> None:
        """The call this feeder feeds, so that a failure can cancel it."""
        self._future = future
        self._attached.set()

    def __iter__(self) -> Iterator[Any]:
        sent = 0
        try:
            if self._canary is not None:
                # The fail-closed canary goes without authorization (docs/daemon-releases.md#fail-closed-canary).
                yield self._messages.UploadAndValidateRequest(upload_input=self._canary)
            for item in self._requests:
                yield self._wrap(item)
                sent += 1
            if not sent:
                raise UserInputError("an upload needs at least one message with data: nothing was sent")
        except Exception as exc:  # noqa: BLE001 - whatever it is, upload_and_validate raises it
            self.failure = exc
            self._attached.wait()
            self._future.cancel()

    def _wrap(self, item: Any) -> Any:
        if isinstance(item, self._messages.UploadInput):
            request = self._messages.UploadAndValidateRequest(upload_input=item)
        elif isinstance(item, self._messages.UploadAndValidateRequest):
            request = item
        else:
            raise TypeError(f"upload_and_validate takes UploadInput messages, not {type(item).__name__}")
        if not request.HasField("upload_input"):
            raise TypeError("an upload message without upload_input crashes released daemons: not sent")
        self.model_id = self.model_id or request.upload_input.model_id
        if not request.HasField("authorization"):
            request.authorization.CopyFrom(self._fresh_authorization())
        return request

    def _fresh_authorization(self) -> Any:
        block = self._authorizer.current_block()
        if self._authorization is None or block - self._authorization.current_block >= UPLOAD_RESIGN_BLOCKS:
            self._authorization = self._authorizer.details("upload_and_validate", block=block)
        return self._authorization
