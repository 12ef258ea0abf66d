"""Private JSON files of the plugin (model store, signature cache, payment journal).

Written atomically (temp file, fsync, rename) as 0600 in a 0700 folder, changed under an advisory
lock by concurrent processes, and read with distrust: a file that is not this user's, is writable
by others or has an unexpected shape is ignored with one warning, never trusted.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pathlib
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

FILE_MODE = 0o600
DIR_MODE = 0o700


def ensure_private_dir(folder: pathlib.Path) -> None:
    """Create the folder (and parents) with mode 0700; tighten it if it exists."""
    folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if folder.stat().st_mode & 0o777 != DIR_MODE:
        os.chmod(folder, DIR_MODE)


def write_atomic(path: pathlib.Path, document: Any) -> None:
    """Write JSON to a temp file in the same folder, fsync it, then rename it over `path`."""
    ensure_private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_trusted(path: pathlib.Path, is_valid: Callable[[Any], bool], warn: Callable[[str], None]) -> Any | None:
    """The file's JSON when it exists, is ours (owner, not group/world writable) and has the right shape; else None.

    Anything but a missing file costs one call of `warn` saying why the file is ignored.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        warn(f"ignoring {path}: {exc.strerror}")
        return None
    if info.st_uid != os.getuid() or info.st_mode & 0o022:
        warn(f"ignoring {path}: it is not a private file of this user (owner or permissions changed)")
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except OSError as exc:
        warn(f"ignoring {path}: it cannot be read: {exc.strerror or exc}")
        return None
    except (ValueError, UnicodeDecodeError):
        warn(f"ignoring {path}: it is not valid JSON (corrupt or foreign)")
        return None
    if not is_valid(document):
        warn(f"ignoring {path}: unexpected content (corrupt or foreign)")
        return None
    return document


@contextlib.contextmanager
def locked(path: pathlib.Path) -> Iterator[None]:
    """An exclusive advisory lock beside `path`, for read-modify-write by concurrent processes."""
    ensure_private_dir(path.parent)
    lock_path = path.with_name(f".{path.name}.lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
