"""A folder as the archive `upload` sends: its regular files in sorted order, and what that archive leaves out.

Links are never followed and never packed (the check reports them as `link_entry`); FIFOs,
sockets and devices are not packed either (the check warns about them). A file stored under
two names (a hard link) is packed twice as a regular file, never as a tar hard link.
"""

from __future__ import annotations

import gzip
import os
import stat
import tarfile
import zipfile
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

from snet_cli_training.dataset.entries import OTHER, SYMLINK
from snet_cli_training.errors import DatasetPathError

_SPECIAL_FILES = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                  (stat.S_ISBLK, "a block device"))


class LeftOut(NamedTuple):
    """Something in the folder that the archive does not hold."""

    position: int  # how many archive members come before it
    name: str  # its name in the folder, as the archive would have named it
    kind: str  # SYMLINK or OTHER
    what: str  # "a symbolic link", "a FIFO", ...


def pack_folder(root: str, fmt: str, out: BinaryIO, *, not_this: str = "") -> list[LeftOut]:
    """Write the regular files under ROOT, in sorted order, as a FMT archive (zip, tar.gz or tar) to OUT; what it left out.

    NOT_THIS is a folder never to pack: the one OUT is written in, should ROOT hold it.
    """
    left_out: list[LeftOut] = []
    skipped = os.stat(not_this) if not_this else None
    files = _regular_files(root, left_out, zip_names=fmt == "zip", skipped=skipped)
    try:
        if fmt == "zip":
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, strict_timestamps=False) as archive:
                for name, full in files:
                    archive.write(full, name)
        elif fmt == "tar.gz":
            with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as compressed:
                _write_tar(files, compressed)
        else:
            _write_tar(files, out)
    except OSError as exc:
        raise DatasetPathError(f"cannot read dataset {root}: {exc}") from exc
    return left_out


def _regular_files(root: str, left_out: list[LeftOut], *, zip_names: bool,
                   skipped: os.stat_result | None) -> Iterator[tuple[str, str]]:
    """(archive name, path) of each regular file; LEFT_OUT receives the rest as it is met."""
    packed = 0
    for name, entry in walk(root, skipped=skipped):
        what = _not_regular(entry)
        if what:
            left_out.append(LeftOut(packed, printable_name(name), SYMLINK if entry.is_symlink() else OTHER, what))
            continue
        if zip_names and not _is_utf8(name):
            # Zip names are UTF-8 (or cp437): stop and say which file, rather than drop a file from the dataset.
            raise DatasetPathError(f"cannot pack {os.fsencode(name)!r} from {root} as zip: its name is not valid UTF-8, "
                                   "which a zip archive cannot hold; rename the file (or use a method that takes tar datasets)")
        packed += 1
        yield name, entry.path


def walk(root: str, prefix: str = "", skipped: os.stat_result | None = None) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """(archive name, entry) of everything under ROOT but folders, in the order of sorted full names; links not followed.

    The folder SKIPPED (as os.stat gives it) is not entered.
    """
    try:
        with os.scandir(root) as listing:
            children = sorted(listing, key=lambda e: e.name + "/" if e.is_dir(follow_symlinks=False) else e.name)
    except OSError as exc:
        raise DatasetPathError(f"cannot read directory {root}: {exc.strerror or exc}") from exc
    for child in children:
        name = prefix + child.name
        if child.is_dir(follow_symlinks=False):
            if skipped is None or not _same_file(child, skipped):
                yield from walk(child.path, name + "/", skipped)
        else:
            yield name, child


def printable_name(name: str) -> str:
    """A folder name as a report can print it: bytes that are not UTF-8 become U+FFFD, as archive readers do."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _same_file(entry: os.DirEntry[str], other: os.stat_result) -> bool:
    # inode() costs no system call; the device is looked at only when the inodes match.
    return entry.inode() == other.st_ino and entry.stat(follow_symlinks=False).st_dev == other.st_dev


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _not_regular(entry: os.DirEntry[str]) -> str:
    """What ENTRY is when it is not a regular file ("a symbolic link", "a FIFO", ...); "" for a regular file."""
    if entry.is_symlink():
        return "a symbolic link"
    if entry.is_file(follow_symlinks=False):
        return ""
    try:
        mode = entry.stat(follow_symlinks=False).st_mode
    except OSError as exc:
        raise DatasetPathError(f"cannot read {entry.path}: {exc.strerror or exc}") from exc
    return next((what for test, what in _SPECIAL_FILES if test(mode)), "neither a file nor a folder")


def _write_tar(files: Iterator[tuple[str, str]], out: BinaryIO) -> None:
    with tarfile.open(fileobj=out, mode="w") as archive:
        for name, full in files:
            with open(full, "rb") as content:
                info = archive.gettarinfo(arcname=name, fileobj=content)
                if info.islnk():  # tarfile's second name for a file it already holds: store the content again
                    info.type, info.linkname, info.size = tarfile.REGTYPE, "", os.fstat(content.fileno()).st_size
                archive.addfile(info, content)
