"""A dataset as a stream of UploadInput messages, and the progress bar of an upload.

The file is read one chunk at a time and no chunk is kept, so memory does not grow with the
dataset. A directory is first packed, streaming, into a private temporary archive that is
removed when the upload ends, however it ends.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from snet_cli_training import dataset, protocol
from snet_cli_training.environment import Environment
from snet_cli_training.errors import DatasetPathError, UserInputError

DEFAULT_CHUNK_BYTES = 4_000_000
# One message, chunk plus authorization (~150 bytes) plus the other UploadInput fields, must
# stay under the daemon's default 4 MiB (4,194,304-byte) gRPC message cap; this leaves ~190 kB.
MAX_CHUNK_BYTES = 4_000_000

Progress = Callable[[int], None]


def _no_progress(_bytes_sent: int) -> None:
    """Progress nobody watches."""


class UploadSource:
    """The UploadInput messages of one dataset upload, filled the way the SDK fills them (PROTOCOL.md §1.1).

    `path` is an archive file, or a directory packed into the first of zip, tar.gz, tar that
    `dataset_types` allows. Iterating yields the messages; `progress(bytes_sent)` is called as
    the consumer takes each chunk. After a complete pass, `sha256` (hex) and `size_bytes` describe
    exactly the bytes sent. Use it as a context manager (or call `close`) so that a packed
    directory's temporary archive is removed; a finished or closed iteration removes it too.
    """

    def __init__(self, path: str | os.PathLike[str], model_id: str, *, chunk_size: int = DEFAULT_CHUNK_BYTES,
                 dataset_types: Sequence[str] = (), progress: Progress | None = None) -> None:
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or not 0 < chunk_size <= MAX_CHUNK_BYTES:
            raise UserInputError(f"the chunk size must be 1 to {MAX_CHUNK_BYTES:,} bytes "
                                 f"(a chunk and its authorization must fit the daemon's 4 MiB message cap), not {chunk_size}")
        self.source = os.fspath(path)
        self.model_id = model_id
        self.chunk_size = chunk_size
        self.dataset_types = tuple(dataset_types)
        self.progress = progress or _no_progress
        self.archive_path = ""
        self.file_name = ""
        self.file_size = 0
        self.size_bytes = 0
        self.sha256: str | None = None
        self._temp_dir: str | None = None

    @property
    def is_directory(self) -> bool:
        return os.path.isdir(self.source)

    @property
    def batch_count(self) -> int:
        """How many messages the upload takes (known after `prepare`)."""
        return -(-self.file_size // self.chunk_size)

    def prepare(self) -> UploadSource:
        """Pack a directory (once), find the archive's name and size; an empty dataset file is an error."""
        if self.archive_path and os.path.exists(self.archive_path):
            return self
        if self.is_directory:
            self._pack()
        elif os.path.isfile(self.source):
            self.archive_path = self.source
        elif os.path.exists(self.source):
            raise DatasetPathError(f"dataset {self.source} is neither a file nor a directory")
        else:
            raise DatasetPathError(f"dataset {self.source} does not exist")
        self.file_name = os.path.basename(self.archive_path)
        try:
            self.file_size = os.path.getsize(self.archive_path)
        except OSError as exc:
            raise DatasetPathError(f"cannot read dataset {self.source}: {exc.strerror or exc}") from exc
        if self.file_size == 0:
            raise UserInputError(f"dataset {self.source} is empty: there is nothing to upload")
        return self

    def close(self) -> None:
        """Remove the temporary archive of a packed directory (nothing to do for a file)."""
        temp_dir, self._temp_dir = self._temp_dir, None
        if temp_dir is not None:
            shutil.rmtree(temp_dir, ignore_errors=True)
            self.archive_path = ""

    def __enter__(self) -> UploadSource:
        try:
            return self.prepare()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[Any]:
        try:
            self.prepare()
            yield from self._messages()
        finally:
            self.close()

    def _messages(self) -> Iterator[Any]:
        upload_input = protocol.messages().UploadInput
        digest = hashlib.sha256()
        self.size_bytes, self.sha256 = 0, None
        file_size, chunk_size, batch_count = self.file_size, self.chunk_size, self.batch_count
        try:
            # Unbuffered: whole chunks go straight into their bytes objects, and a file that
            # changes under the upload is seen at once rather than after a stale buffer.
            stream = open(self.archive_path, "rb", buffering=0)
        except OSError as exc:
            raise DatasetPathError(f"cannot read dataset {self.source}: {exc.strerror or exc}") from exc
        with stream:
            for batch_number in range(1, batch_count + 1):
                wanted = min(chunk_size, file_size - self.size_bytes)
                chunk = stream.read(wanted)
                if len(chunk) != wanted:
                    raise UserInputError(f"dataset {self.source} shrank while it was being uploaded")
                digest.update(chunk)
                yield upload_input(model_id=self.model_id, data=chunk, file_name=self.file_name, file_size=file_size,
                                   batch_size=chunk_size, batch_number=batch_number, batch_count=batch_count)
                self.size_bytes += len(chunk)
                del chunk  # the consumer holds the message's copy; ours would double the peak
                self.progress(self.size_bytes)
            if stream.read(1):
                # The daemon would get a truncated dataset under the announced size: refuse instead.
                raise UserInputError(f"dataset {self.source} grew while it was being uploaded")
        self.sha256 = digest.hexdigest()

    def _pack(self) -> None:
        fmt = dataset.directory_archive_format(self.dataset_types)
        base = os.path.basename(os.path.abspath(self.source)) or "dataset"
        self._temp_dir = tempfile.mkdtemp(prefix="snet-training-upload-")
        self.archive_path = os.path.join(self._temp_dir, f"{base}.{fmt}")
        try:
            with open(self.archive_path, "wb") as out:
                dataset.write_directory_archive(self.source, fmt, out)
        except BaseException:
            self.close()
            raise


@contextlib.contextmanager
def progress_bar(env: Environment, total: int, description: str) -> Iterator[Progress]:
    """A `progress(bytes_sent)` callback drawing a byte bar with rate and ETA on stderr, only when stderr is a terminal."""
    if not env.stderr_is_terminal():
        yield _no_progress
        return
    from tqdm import tqdm

    # A terminal that reports no size (a fresh pty, a serial console) makes tqdm draw nothing: assume 80x24.
    sized = _terminal_columns(env.stderr) > 0
    with tqdm(total=total, desc=description, unit="B", unit_scale=True, unit_divisor=1024, file=env.stderr,
              dynamic_ncols=sized, ncols=None if sized else 80, nrows=None if sized else 24, miniters=1,
              leave=True) as bar:
        def update(bytes_sent: int) -> None:
            bar.update(bytes_sent - bar.n)

        yield update


def _terminal_columns(stream: Any) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return 0
