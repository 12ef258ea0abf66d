"""A dataset file as the stream of UploadInput messages the daemon receives.

The file is read one chunk at a time and no chunk is kept, so memory does not grow with the
dataset. Messages are filled the way the SDK fills them, which is what providers are written
against (docs/protocol.md#fields).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from typing import Any

from snet_cli_training.console.progress import Progress, no_progress
from snet_cli_training.constants import DEFAULT_CHUNK_BYTES, MAX_CHUNK_BYTES
from snet_cli_training.daemon import protocol
from snet_cli_training.errors import DatasetPathError, UserInputError


class UploadSource:
    """The UploadInput messages of one upload of the file at `path` (an archive; a folder is packed before).

    Iterating yields the messages; `progress(bytes_sent)` is called as the consumer takes each
    chunk. After a complete pass, `sha256` (hex) and `size_bytes` describe exactly the bytes sent.
    `shown_as` names the dataset in messages (the user's folder when `path` is its packed archive).
    """

    def __init__(self, path: str | os.PathLike[str], model_id: str, *, chunk_size: int = DEFAULT_CHUNK_BYTES,
                 shown_as: str | None = None, progress: Progress | None = None) -> None:
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or not 0 < chunk_size <= MAX_CHUNK_BYTES:
            raise UserInputError(f"the chunk size must be 1 to {MAX_CHUNK_BYTES:,} bytes "
                                 f"(a chunk and its authorization must fit the daemon's 4 MiB message cap), not {chunk_size}")
        self.path = os.fspath(path)
        self.shown_as = shown_as or self.path
        self.model_id = model_id
        self.chunk_size = chunk_size
        self.progress = progress or no_progress
        self.file_name = os.path.basename(self.path)
        try:
            self.file_size = os.path.getsize(self.path)
        except OSError as exc:
            raise DatasetPathError(f"cannot read dataset {self.shown_as}: {exc.strerror or exc}") from exc
        if self.file_size == 0:
            raise UserInputError(f"dataset {self.shown_as} is empty: there is nothing to upload")
        self.size_bytes = 0
        self.sha256: str | None = None
        self.expected_sha256: str | None = None

    def digest(self) -> str:
        """The sha256 of the file as it is now (read once before paying: it names the work the payment is for).

        The stream checks that it sends exactly these bytes: a file changed in between fails the
        upload before its last message, so the daemon never commits a payment for other data.
        """
        digest = hashlib.sha256()
        try:
            with open(self.path, "rb") as stream:
                while block := stream.read(1 << 20):
                    digest.update(block)
        except OSError as exc:
            raise DatasetPathError(f"cannot read dataset {self.shown_as}: {exc.strerror or exc}") from exc
        self.expected_sha256 = digest.hexdigest()
        return self.expected_sha256

    @property
    def batch_count(self) -> int:
        """How many messages the upload takes."""
        return -(-self.file_size // self.chunk_size)

    def __iter__(self) -> Iterator[Any]:
        upload_input = protocol.messages().UploadInput
        digest = hashlib.sha256()
        self.size_bytes, self.sha256 = 0, None
        file_size, chunk_size, batch_count = self.file_size, self.chunk_size, self.batch_count
        try:
            # Unbuffered: whole chunks go straight into their bytes objects, and a file that
            # changes under the upload is seen at once rather than after a stale buffer.
            stream = open(self.path, "rb", buffering=0)
        except OSError as exc:
            raise DatasetPathError(f"cannot read dataset {self.shown_as}: {exc.strerror or exc}") from exc
        with stream:
            for batch_number in range(1, batch_count + 1):
                wanted = min(chunk_size, file_size - self.size_bytes)
                chunk = stream.read(wanted)
                if len(chunk) != wanted:
                    raise UserInputError(f"dataset {self.shown_as} shrank while it was being uploaded")
                digest.update(chunk)
                if batch_number == batch_count:
                    self._check_whole(stream, digest)
                yield upload_input(model_id=self.model_id, data=chunk, file_name=self.file_name, file_size=file_size,
                                   batch_size=chunk_size, batch_number=batch_number, batch_count=batch_count)
                self.size_bytes += len(chunk)
                del chunk  # the consumer holds the message's copy; ours would double the peak
                self.progress(self.size_bytes)
        self.sha256 = digest.hexdigest()

    def _check_whole(self, stream: Any, digest: Any) -> None:
        """Before the last message goes: the file did not grow, and the bytes are the ones paid for."""
        if stream.read(1):
            # The daemon would get a truncated dataset under the announced size: refuse instead.
            raise UserInputError(f"dataset {self.shown_as} grew while it was being uploaded")
        if self.expected_sha256 is not None and digest.hexdigest() != self.expected_sha256:
            raise UserInputError(f"dataset {self.shown_as} changed while it was being uploaded")
