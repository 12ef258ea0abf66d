"""Private JSON files of the plugin (model store, signature cache, payment journal).

Written atomically (temp file, fsync, rename) as 0600 in a 0700 folder, changed under an advisory
lock by concurrent processes, and read with distrust: only a regular file of this user that
others cannot write, opened without blocking (a FIFO never hangs a command), holding JSON of the
expected shape nested no deeper than safejson allows.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pathlib
import stat
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

from snet_cli_training import safejson
from snet_cli_training.errors import StateFileError

FILE_MODE = 0o600
DIR_MODE = 0o700


class Unreadable(Exception):
    """The file exists but cannot be trusted or read; str() says why."""


def ensure_private_dir(folder: pathlib.Path) -> None:
    """Create the folder (and parents) with mode 0700; tighten it if it exists."""
    try:
        folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        if folder.stat().st_mode & 0o777 != DIR_MODE:
            os.chmod(folder, DIR_MODE)
    except OSError as exc:
        raise StateFileError(f"cannot use {folder} for the plugin's files: {exc.strerror or exc}") from None


def write_atomic(path: pathlib.Path, document: Any) -> None:
    """Write JSON to a temp file in the same folder, fsync it, then rename it over `path`."""
    ensure_private_dir(path.parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise StateFileError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise StateFileError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_json(path: pathlib.Path, is_valid: Callable[[Any], bool], *,
              repair_mode: Callable[[str], None] | None = None) -> Any | None:
    """The file's JSON, or None when there is no file; Unreadable (with the reason) for anything else.

    A file of this user that group or others may write is untrusted, unless `repair_mode` is
    given: then it is set back to 0600 and `repair_mode(message)` is told.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise Unreadable(f"it cannot be read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise Unreadable("it is not a regular file")
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if info.st_uid != os.getuid():
            raise Unreadable("it belongs to another user")
        if info.st_mode & 0o022:
            if repair_mode is None:
                raise Unreadable("it is not a private file of this user (others may write it)")
            os.fchmod(handle.fileno(), FILE_MODE)
            repair_mode(f"{path} was writable by others: its mode is 0600 again")
        try:
            document = safejson.loads(handle.read())
        except OSError as exc:
            raise Unreadable(f"it cannot be read: {exc.strerror or exc}") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise Unreadable(f"it is not valid JSON ({exc})") from None
    if not is_valid(document):
        raise Unreadable("unexpected content (corrupt or foreign)")
    return document


def read_trusted(path: pathlib.Path, is_valid: Callable[[Any], bool], warn: Callable[[str], None]) -> Any | None:
    """read_json for a file that is only a hint: anything but a missing file is ignored with one warning."""
    try:
        return read_json(path, is_valid)
    except Unreadable as problem:
        warn(f"ignoring {path}: {problem}")
        return None


def warn_once(warn: Callable[[str], None] | None) -> Callable[[str], None]:
    """`warn` that speaks the first time only: a file read several times by one command is reported once."""
    spoken: list[str] = []

    def once(message: str) -> None:
        if warn is not None and not spoken:
            spoken.append(message)
            warn(message)

    return once


@contextlib.contextmanager
def locked(path: pathlib.Path) -> Iterator[None]:
    """An exclusive advisory lock beside `path`, for read-modify-write by concurrent processes."""
    ensure_private_dir(path.parent)
    lock_path = path.with_name(f".{path.name}.lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NONBLOCK, FILE_MODE)
    except OSError as exc:
        raise StateFileError(f"cannot lock {path} ({lock_path}: {exc.strerror or exc})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise StateFileError(f"cannot lock {path}: {lock_path} is not a regular file")
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
