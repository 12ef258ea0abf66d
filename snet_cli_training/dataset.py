"""Datasets as a stream of entries (name, size, kind): archives are read, never extracted.

Zip archives are read from their central directory with `struct` (no `ZipInfo` per entry),
tar archives member by member without keeping the members, and a directory as the archive
`upload` would build from it. Header sizes are trusted and never checked by decompressing.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, NamedTuple

from snet_cli_training.errors import DatasetPathError

if TYPE_CHECKING:
    from snet_cli_training.requirements import DatasetReport, MethodLimits

FILE = "file"
DIRECTORY = "dir"
SYMLINK = "symlink"
HARDLINK = "hardlink"
OTHER = "other"

UNKNOWN_FORMAT = "unknown"
TAR_FORMATS = ("tar", "tar.gz", "tar.bz2", "tar.xz")
DIRECTORY_ARCHIVE_FORMATS = ("zip", "tar.gz", "tar")

_SUFFIXES = (
    (".tar.gz", "tar.gz"), (".tgz", "tar.gz"),
    (".tar.bz2", "tar.bz2"), (".tbz2", "tar.bz2"), (".tbz", "tar.bz2"),
    (".tar.xz", "tar.xz"), (".txz", "tar.xz"),
    (".tar", "tar"), (".zip", "zip"),
)
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_COMPRESSED_MAGICS: tuple[tuple[bytes, str, Callable[[], object]], ...] = (
    (b"\x1f\x8b", "tar.gz", lambda: zlib.decompressobj(31)),
    (b"BZh", "tar.bz2", bz2.BZ2Decompressor),
    (b"\xfd7zXZ\x00", "tar.xz", lzma.LZMADecompressor),
)
_OPENERS: dict[str, Callable[[BinaryIO], BinaryIO]] = {
    "tar": lambda raw: raw,
    "tar.gz": lambda raw: gzip.GzipFile(fileobj=raw, mode="rb"),
    "tar.bz2": lambda raw: bz2.BZ2File(raw, mode="rb"),
    "tar.xz": lambda raw: lzma.LZMAFile(raw, mode="rb"),
}
_TAR_ERRORS = (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError, ValueError)

_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_LOCAL = struct.Struct("<4s5H3L2H")
_MAX_COMMENT = 0xFFFF
_CHUNK = 1 << 20
_U32 = 0xFFFFFFFF


class Entry(NamedTuple):
    """One archive member: its name, uncompressed size in bytes, and kind (FILE, DIRECTORY, ...)."""

    name: str
    size: int
    kind: str


class CorruptArchive(Exception):
    """The dataset opened but is not a valid archive (truncated, encrypted, inconsistent)."""


@dataclass(frozen=True)
class Dataset:
    """An opened dataset: what it is, how big the uploaded file is, and how to list it."""

    path: str
    format: str
    size_bytes: int
    is_directory: bool = False

    def entries(self) -> Iterator[Entry]:
        """Yield every entry; raise CorruptArchive when the archive turns out to be invalid."""
        if self.is_directory:
            return _directory_entries(self.path)
        if self.format == "zip":
            return _zip_entries(self.path)
        if self.format in TAR_FORMATS:
            return _tar_entries(self.path, self.format)
        raise CorruptArchive("not a zip or tar archive")


def open_dataset(path: str, dataset_types: Sequence[str] = ()) -> Dataset:
    """Open PATH as a dataset; raise DatasetPathError when it is missing or unreadable."""
    info = _stat(path)
    if stat.S_ISDIR(info.st_mode):
        fmt = directory_archive_format(dataset_types)
        return Dataset(path, fmt, directory_archive_size(path, fmt), is_directory=True)
    if not stat.S_ISREG(info.st_mode):
        raise DatasetPathError(f"dataset {path} is neither a file nor a directory")
    try:
        fmt = detect_format(path)
    except OSError as exc:
        raise DatasetPathError(f"cannot read dataset {path}: {exc.strerror or exc}") from exc
    return Dataset(path, fmt, info.st_size)


def check_dataset(path: str, limits: MethodLimits) -> DatasetReport:
    """The dataset report of PATH under LIMITS (requirements.check_dataset, reachable from here too)."""
    from snet_cli_training.requirements import check_dataset as check

    return check(path, limits)


def detect_format(path: str) -> str:
    """The archive format of a file: by content first, then by the name's suffix."""
    with open(path, "rb") as stream:
        head = stream.read(512)
        if head[:4] in _ZIP_MAGICS:
            return "zip"
        for magic, fmt, decompressor in _COMPRESSED_MAGICS:
            if head.startswith(magic):
                stream.seek(0)
                if _is_tar_block(_decompress_head(decompressor(), stream.read(_CHUNK))):
                    return fmt
                return format_by_suffix(path)
    if _is_tar_block(head):
        return "tar"
    return format_by_suffix(path)


def format_by_suffix(path: str) -> str:
    """The archive format a file name suggests, or UNKNOWN_FORMAT."""
    lowered = path.lower()
    return next((fmt for suffix, fmt in _SUFFIXES if lowered.endswith(suffix)), UNKNOWN_FORMAT)


def directory_archive_format(dataset_types: Sequence[str]) -> str:
    """The archive `upload` builds from a directory: the first of zip, tar.gz, tar allowed; zip if none is."""
    return next((fmt for fmt in DIRECTORY_ARCHIVE_FORMATS if fmt in dataset_types), "zip")


def directory_archive_size(root: str, fmt: str) -> int:
    """The exact size of the archive write_directory_archive builds, without storing it."""
    sink = _CountingSink()
    write_directory_archive(root, fmt, sink)
    return sink.size


def write_directory_archive(root: str, fmt: str, out: BinaryIO) -> None:
    """Write the regular files under ROOT, in sorted order, as a FMT archive (zip, tar.gz or tar) to OUT."""
    files = ((name, entry.path) for name, entry in _walk(root) if _dir_entry_kind(entry) == FILE)
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
    except (OSError, UnicodeError) as exc:
        raise DatasetPathError(f"cannot read dataset {root}: {exc}") from exc


def _write_tar(files: Iterator[tuple[str, str]], out: BinaryIO) -> None:
    with tarfile.open(fileobj=out, mode="w") as archive:
        for name, full in files:
            archive.add(full, name, recursive=False)


class _CountingSink:
    """A seekable writer that keeps only the size of what was written."""

    def __init__(self) -> None:
        self.size = 0
        self._position = 0

    def write(self, data: bytes) -> int:
        self._position += len(data)
        self.size = max(self.size, self._position)
        return len(data)

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self.size}[whence]
        self._position = base + offset
        return self._position

    def seekable(self) -> bool:
        return True

    def flush(self) -> None:
        """Nothing is buffered."""


def _stat(path: str) -> os.stat_result:
    try:
        return os.stat(path)
    except FileNotFoundError as exc:
        raise DatasetPathError(f"dataset not found: {path}") from exc
    except (OSError, ValueError) as exc:
        raise DatasetPathError(f"cannot read dataset {path}: {exc}") from exc


def _is_tar_block(block: bytes) -> bool:
    return block[257:262] == b"ustar"


def _decompress_head(decompressor: object, data: bytes) -> bytes:
    try:
        return decompressor.decompress(data, 512)  # type: ignore[attr-defined]
    except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError):
        return b""


# Directories


def _walk(root: str, prefix: str = "") -> Iterator[tuple[str, os.DirEntry[str]]]:
    """(archive name, entry) under ROOT in the order of sorted full names, links not followed."""
    try:
        with os.scandir(root) as listing:
            children = sorted(listing, key=lambda e: e.name + "/" if e.is_dir(follow_symlinks=False) else e.name)
    except OSError as exc:
        raise DatasetPathError(f"cannot read directory {root}: {exc.strerror or exc}") from exc
    for child in children:
        name = prefix + child.name
        if _dir_entry_kind(child) == DIRECTORY:
            yield from _walk(child.path, name + "/")
        else:
            yield name, child


def _dir_entry_kind(entry: os.DirEntry[str]) -> str:
    if entry.is_symlink():
        return SYMLINK
    if entry.is_dir(follow_symlinks=False):
        return DIRECTORY
    if entry.is_file(follow_symlinks=False):
        return FILE
    return OTHER


def _directory_entries(root: str) -> Iterator[Entry]:
    for name, child in _walk(root):
        kind = _dir_entry_kind(child)
        try:
            size = child.stat(follow_symlinks=False).st_size if kind == FILE else 0
        except OSError as exc:
            raise DatasetPathError(f"cannot read {child.path}: {exc.strerror or exc}") from exc
        yield Entry(name, size, kind)


# Tar


class _LastReadRecorder:
    """A reader that remembers its last read, to tell a tar's end marker from a bad header."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.last = b""

    def read(self, size: int = -1) -> bytes:
        self.last = self._stream.read(size)
        return self.last

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._stream.seek(offset, whence)

    def tell(self) -> int:
        return self._stream.tell()


def _tar_entries(path: str, fmt: str) -> Iterator[Entry]:
    try:
        with open(path, "rb") as raw, _OPENERS[fmt](raw) as stream:
            recorder = _LastReadRecorder(stream)
            with tarfile.open(fileobj=recorder, mode="r:") as archive:  # type: ignore[call-overload]
                while (member := archive.next()) is not None:
                    archive.members.clear()
                    yield Entry(member.name, member.size, _tar_kind(member))
                if recorder.last.strip(b"\0"):
                    raise CorruptArchive(f"invalid tar header at byte {archive.offset}")
            while stream.read(_CHUNK):
                pass
    except _TAR_ERRORS as exc:
        raise CorruptArchive(f"unreadable {fmt} archive: {exc}") from exc


def _tar_kind(member: tarfile.TarInfo) -> str:
    if member.isreg():
        return FILE
    if member.isdir():
        return DIRECTORY
    if member.issym():
        return SYMLINK
    if member.islnk():
        return HARDLINK
    return OTHER


# Zip


@dataclass(frozen=True)
class _CentralDirectory:
    start: int
    size: int
    count: int
    base: int
    zip64: bool


def _zip_entries(path: str) -> Iterator[Entry]:
    try:
        with open(path, "rb") as central, open(path, "rb", buffering=1 << 16) as local:
            file_size = os.fstat(central.fileno()).st_size
            directory = _read_end_record(central, file_size)
            yield from _central_entries(central, local, directory)
    except (OSError, struct.error) as exc:
        raise CorruptArchive(f"unreadable zip archive: {exc}") from exc


def _read_end_record(stream: BinaryIO, file_size: int) -> _CentralDirectory:
    tail_start = max(0, file_size - _EOCD.size - _MAX_COMMENT)
    stream.seek(tail_start)
    tail = stream.read()
    position = tail.rfind(b"PK\x05\x06")
    while position >= 0 and position + _EOCD.size + _EOCD.unpack_from(tail, position)[-1] > len(tail):
        position = tail.rfind(b"PK\x05\x06", 0, position)
    if position < 0 or position + _EOCD.size > len(tail):
        raise CorruptArchive("no zip end of central directory record")
    _, disk, cd_disk, _, count, cd_size, cd_offset, _ = _EOCD.unpack_from(tail, position)
    end = tail_start + position
    zip64 = end >= _ZIP64_LOCATOR.size + _ZIP64_EOCD.size and _zip64_locator_at(stream, end)
    if zip64:
        stream.seek(end - _ZIP64_LOCATOR.size - _ZIP64_EOCD.size)
        record = _ZIP64_EOCD.unpack(stream.read(_ZIP64_EOCD.size))
        if record[0] != b"PK\x06\x06":
            raise CorruptArchive("bad zip64 end of central directory record")
        _, _, _, _, disk, cd_disk, _, count, cd_size, cd_offset = record
        end -= _ZIP64_LOCATOR.size + _ZIP64_EOCD.size
    if disk or cd_disk:
        raise CorruptArchive("multi-disk zip archives are not supported")
    base = end - cd_size - cd_offset
    if base < 0:
        raise CorruptArchive("the central directory claims bytes past the end of the file")
    return _CentralDirectory(base + cd_offset, cd_size, count, base, zip64)


def _zip64_locator_at(stream: BinaryIO, end: int) -> bool:
    stream.seek(end - _ZIP64_LOCATOR.size)
    return stream.read(4) == b"PK\x06\x07"


def _central_entries(central: BinaryIO, local: BinaryIO, directory: _CentralDirectory) -> Iterator[Entry]:
    central.seek(directory.start)
    remaining = directory.size
    unread = directory.size
    buffer = b""
    offset = 0
    count = 0
    while remaining:
        if unread and len(buffer) - offset < _CENTRAL.size + 3 * 0xFFFF:
            chunk = central.read(min(_CHUNK, unread))
            if not chunk:
                raise CorruptArchive("the zip central directory runs past the end of the file")
            buffer = buffer[offset:] + chunk
            offset = 0
            unread -= len(chunk)
        if len(buffer) - offset < _CENTRAL.size:
            raise CorruptArchive("truncated zip central directory")
        header = _CENTRAL.unpack_from(buffer, offset)
        (signature, _, _, flags, method, _, _, _, csize, usize,
         name_length, extra_length, comment_length, _, _, attributes, local_offset) = header
        record_size = _CENTRAL.size + name_length + extra_length + comment_length
        if signature != b"PK\x01\x02" or record_size > remaining or record_size > len(buffer) - offset:
            raise CorruptArchive(f"bad zip central directory record at byte {directory.start + directory.size - remaining}")
        raw_name = buffer[offset + _CENTRAL.size: offset + _CENTRAL.size + name_length]
        name = raw_name.decode("utf-8" if flags & 0x800 else "cp437", errors="replace")
        if flags & 1:
            raise CorruptArchive(f"entry `{name}` is encrypted")
        extra = buffer[offset + _CENTRAL.size + name_length: offset + _CENTRAL.size + name_length + extra_length]
        usize, csize, local_offset = _zip64_sizes(extra, usize, csize, local_offset, name)
        _check_local_header(local, directory, local_offset, raw_name, flags, method, csize, usize, name)
        yield Entry(name, usize, _zip_kind(name, attributes))
        offset += record_size
        remaining -= record_size
        count += 1
    if count != directory.count and (directory.zip64 or count % 0x10000 != directory.count):
        raise CorruptArchive(f"the zip claims {directory.count} entries but its central directory lists {count}")


def _zip64_sizes(extra: bytes, usize: int, csize: int, local_offset: int, name: str) -> tuple[int, int, int]:
    wanted = [value == _U32 for value in (usize, csize, local_offset)]
    if not any(wanted):
        return usize, csize, local_offset
    position = 0
    while position + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, position)
        if tag == 1:
            values = iter(struct.unpack_from(f"<{length // 8}Q", extra, position + 4))
            try:
                resolved = [next(values) if want else value for want, value in zip(wanted, (usize, csize, local_offset), strict=True)]
            except StopIteration:
                break
            return resolved[0], resolved[1], resolved[2]
        position += 4 + length
    raise CorruptArchive(f"entry `{name}` lacks its zip64 sizes")


def _check_local_header(
    local: BinaryIO, directory: _CentralDirectory, local_offset: int, raw_name: bytes,
    flags: int, method: int, csize: int, usize: int, name: str,
) -> None:
    """Structure only: the local header exists, agrees with the central one, and its data fits the file."""
    start = directory.base + local_offset
    local.seek(start)
    header = local.read(_LOCAL.size + len(raw_name))
    if len(header) < _LOCAL.size + len(raw_name):
        raise CorruptArchive(f"entry `{name}` points past the end of the file")
    signature, _, local_flags, local_method, _, _, _, local_csize, local_usize, name_length, extra_length = (
        _LOCAL.unpack_from(header)
    )
    if signature != b"PK\x03\x04" or header[_LOCAL.size:] != raw_name or name_length != len(raw_name):
        raise CorruptArchive(f"entry `{name}`: the local header does not match the central directory")
    if local_method != method or (local_flags ^ flags) & 1:
        raise CorruptArchive(f"entry `{name}`: the local header does not match the central directory")
    if not flags & 0x8 and _U32 not in (local_csize, local_usize) and (local_csize, local_usize) != (csize, usize):
        raise CorruptArchive(f"entry `{name}`: local and central sizes disagree")
    if start + _LOCAL.size + name_length + extra_length + csize > directory.start:
        raise CorruptArchive(f"entry `{name}` claims {csize} compressed bytes the file does not have")


def _zip_kind(name: str, attributes: int) -> str:
    file_type = stat.S_IFMT(attributes >> 16)
    if file_type == stat.S_IFLNK:
        return SYMLINK
    if name.endswith("/") or file_type == stat.S_IFDIR:
        return DIRECTORY
    if file_type in (0, stat.S_IFREG):
        return FILE
    return OTHER
