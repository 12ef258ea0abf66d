"""Zip archives -> batches of entries, read from the central directory with `struct` (no ZipInfo per entry).

Each entry's local header is checked too (structure only: it exists, agrees with the central
record, and its data fits in the file), reading the local headers in offset order from a few
large reads rather than one seek and read per entry. Sizes are the headers' claims.
"""

from __future__ import annotations

import os
import stat
import struct
from collections.abc import Iterator
from typing import NamedTuple

from snet_cli_training.dataset.entries import DIRECTORY, FILE, OTHER, SYMLINK, Batch, CorruptArchive

_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
# The central record's fields used here: signature, the creator's system (high byte of "version
# made by"), flags, method, compressed and uncompressed size, name/extra/comment lengths,
# external attributes, local header offset (46 bytes in all).
_CENTRAL = struct.Struct("<LxB2xHH8xLLHHH4xLL")
_CENTRAL_SIGNATURE = 0x02014B50
_LOCAL = struct.Struct("<4s5H3L2H")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_CENTRAL_SIZE, _LOCAL_SIZE = _CENTRAL.size, _LOCAL.size
_MAX_RECORD = _CENTRAL_SIZE + 3 * 0xFFFF
_MAX_COMMENT = 0xFFFF
_CHUNK = 1 << 18  # of the central directory per batch: ~4,000 entries, a few MB at most
_WINDOW = 1 << 16
_U32 = 0xFFFFFFFF
_UNIX = 3  # the creator system whose external attributes hold a unix mode (FAT's, system 0, hold DOS flags)
_ENCRYPTED, _DATA_DESCRIPTOR, _UTF8 = 0x1, 0x8, 0x800
# File-type bits of a unix mode (external attributes >> 16) shifted down: 0 (none given) or a regular file.
_PLAIN_TYPES = (0, stat.S_IFREG >> 12)


class _Directory(NamedTuple):
    start: int
    size: int
    count: int
    base: int
    zip64: bool


class _Pending(NamedTuple):
    """What a batch's local headers must agree with, one list per field, in central-directory order."""

    offsets: list[int]
    compressed: list[int]
    raw_names: list[bytes]
    # Local header bytes 4..28 (version needed, flags, method, time, date, crc, sizes, name length)
    # as the central record has them at 6..30: equal in the usual case, checked exactly otherwise.
    expected: list[bytes]


def zip_batches(path: str) -> Iterator[Batch]:
    """The entries of the zip at PATH, in central-directory order; CorruptArchive when its structure is invalid."""
    try:
        with open(path, "rb", buffering=0) as stream:
            fd = stream.fileno()
            directory = _end_record(fd, os.fstat(fd).st_size)
            yield from _central_batches(fd, directory)
    except (OSError, struct.error) as exc:
        raise CorruptArchive(f"unreadable zip archive: {exc}") from exc


def _end_record(fd: int, file_size: int) -> _Directory:
    tail_start = max(0, file_size - _EOCD.size - _MAX_COMMENT)
    tail = os.pread(fd, file_size - tail_start, tail_start)
    position = tail.rfind(b"PK\x05\x06")
    while position >= 0 and position + _EOCD.size + _EOCD.unpack_from(tail, position)[-1] > len(tail):
        position = tail.rfind(b"PK\x05\x06", 0, position)
    if position < 0 or position + _EOCD.size > len(tail):
        raise CorruptArchive("no zip end of central directory record")
    _, disk, cd_disk, _, count, cd_size, cd_offset, _ = _EOCD.unpack_from(tail, position)
    end = tail_start + position
    zip64 = end >= _ZIP64_LOCATOR.size + _ZIP64_EOCD.size and os.pread(fd, 4, end - _ZIP64_LOCATOR.size) == b"PK\x06\x07"
    if zip64:
        record = _ZIP64_EOCD.unpack(os.pread(fd, _ZIP64_EOCD.size, end - _ZIP64_LOCATOR.size - _ZIP64_EOCD.size))
        if record[0] != b"PK\x06\x06":
            raise CorruptArchive("bad zip64 end of central directory record")
        _, _, _, _, disk, cd_disk, _, count, cd_size, cd_offset = record
        end -= _ZIP64_LOCATOR.size + _ZIP64_EOCD.size
    if disk or cd_disk:
        raise CorruptArchive("multi-disk zip archives are not supported")
    base = end - cd_size - cd_offset
    if base < 0:
        raise CorruptArchive("the central directory claims bytes past the end of the file")
    return _Directory(base + cd_offset, cd_size, count, base, zip64)


def _central_batches(fd: int, directory: _Directory) -> Iterator[Batch]:
    """Parse the central directory a chunk at a time; each chunk's records make one batch."""
    buffer = b""
    position = directory.start  # of the first byte not yet in the buffer
    end = directory.start + directory.size
    count = 0
    while True:
        if position < end:
            chunk = os.pread(fd, min(_CHUNK, end - position), position)
            if not chunk:
                raise CorruptArchive("the zip central directory runs past the end of the file")
            position += len(chunk)
            buffer += chunk
        batch, pending, used, error = _parse_records(buffer, position >= end, position - len(buffer))
        local_error = _check_local_headers(fd, directory, batch, pending)
        if local_error is not None:  # it comes before any error in the records that follow
            index, error = local_error
            del batch.names[index:], batch.sizes[index:], batch.kinds[index:]
        if batch.names:
            yield batch
        if error is not None:
            raise CorruptArchive(error)
        count += len(batch.names)
        buffer = buffer[used:]
        if position >= end and not buffer:
            break
    if count != directory.count and (directory.zip64 or count % 0x10000 != directory.count):
        raise CorruptArchive(f"the zip claims {directory.count} entries but its central directory lists {count}")


def _parse_records(buffer: bytes, final: bool, buffer_start: int) -> tuple[Batch, _Pending, int, str | None]:
    """The complete records at the start of BUFFER (FINAL: it ends where the directory does).

    Returns the batch, what its local headers must agree with, the bytes used, and the error that
    stopped the parse (None when it did not stop early).
    """
    names: list[str] = []
    sizes: list[int] = []
    kinds: list[str] = []
    pending = _Pending([], [], [], [])
    # The loop runs once per entry: everything it calls is bound to a local name first.
    add_name, add_size, add_kind = names.append, sizes.append, kinds.append
    add_offset, add_compressed, add_raw_name, add_expected = (column.append for column in pending)
    unpack, signature_expected, u32, plain_types = _CENTRAL.unpack_from, _CENTRAL_SIGNATURE, _U32, _PLAIN_TYPES
    size = len(buffer)
    # Parse only while a whole record surely fits, unless the buffer holds the rest of the directory.
    limit = size if final else size - _MAX_RECORD
    offset = 0
    error = None
    while offset < limit:
        if size - offset < _CENTRAL_SIZE:
            error = "truncated zip central directory"
            break
        signature, system, flags, _, csize, usize, name_length, extra_length, comment_length, attributes, local = unpack(buffer, offset)
        name_start = offset + _CENTRAL_SIZE
        name_end = name_start + name_length
        record_end = name_end + extra_length + comment_length
        if signature != signature_expected or record_end > size:
            error = f"bad zip central directory record at byte {buffer_start + offset}"
            break
        raw_name = buffer[name_start:name_end]
        name = raw_name.decode("utf-8", "replace") if flags & _UTF8 or raw_name.isascii() else raw_name.decode("cp437")
        if flags & _ENCRYPTED:
            error = f"entry `{name}` is encrypted"
            break
        if usize == u32 or csize == u32 or local == u32:
            try:
                usize, csize, local = _zip64_sizes(buffer[name_end:name_end + extra_length], usize, csize, local, name)
            except CorruptArchive as exc:
                error = str(exc)
                break
        if system != _UNIX or attributes >> 28 in plain_types:
            add_kind(DIRECTORY if name[-1:] == "/" else FILE)
        else:
            add_kind(_unix_kind(name, attributes))
        add_name(name)
        add_size(usize)
        add_offset(local)
        add_compressed(csize)
        add_raw_name(raw_name)
        add_expected(buffer[offset + 6:offset + 30])
        offset = record_end
    return Batch(names, sizes, kinds), pending, offset, error


def _zip64_sizes(extra: bytes, usize: int, csize: int, local_offset: int, name: str) -> tuple[int, int, int]:
    wanted = [value == _U32 for value in (usize, csize, local_offset)]
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


def _unix_kind(name: str, attributes: int) -> str:
    """The kind the unix mode bits of the external attributes give (of an entry a unix system made)."""
    file_type = stat.S_IFMT(attributes >> 16)
    if file_type == stat.S_IFLNK:
        return SYMLINK
    if name.endswith("/") or file_type == stat.S_IFDIR:
        return DIRECTORY
    return OTHER


def _check_local_headers(fd: int, directory: _Directory, batch: Batch, pending: _Pending) -> tuple[int, str] | None:
    """The first entry (in central order) whose local header is wrong, with the reason; None when all are right."""
    offsets, compressed, raw_names, expected = pending
    count = len(offsets)
    order = sorted(range(count), key=offsets.__getitem__)
    base, data_end = directory.base, directory.start
    window = b""
    window_start = window_end = 0
    first_bad: tuple[int, str] | None = None
    for rank, index in enumerate(order):
        start = base + offsets[index]
        raw_name = raw_names[index]
        header_end = start + _LOCAL_SIZE + len(raw_name)
        if start < window_start or header_end > window_end:
            # One large read when the next header is near, else just this header: never the data between.
            following = base + offsets[order[rank + 1]] if rank + 1 < count else data_end
            length = _WINDOW if following + _LOCAL_SIZE - start <= _WINDOW else header_end - start
            window = os.pread(fd, max(length, header_end - start), start)
            window_start, window_end = start, start + len(window)
        reason = None
        if header_end > window_end:
            reason = f"entry `{batch.names[index]}` points past the end of the file"
        else:
            at = start - window_start
            if (window[at + 4:at + 28] != expected[index] or window[at:at + 4] != _LOCAL_SIGNATURE
                    or window[at + _LOCAL_SIZE:at + _LOCAL_SIZE + len(raw_name)] != raw_name):
                reason = _local_mismatch(window, at, raw_name, expected[index], (compressed[index], batch.sizes[index]),
                                         batch.names[index])
            if reason is None:
                extra_length = window[at + 28] | window[at + 29] << 8
                if header_end + extra_length + compressed[index] > data_end:
                    reason = f"entry `{batch.names[index]}` claims {compressed[index]} compressed bytes the file does not have"
        if reason is not None and (first_bad is None or index < first_bad[0]):
            first_bad = (index, reason)
    return first_bad


def _local_mismatch(window: bytes, at: int, raw_name: bytes, expected: bytes, sizes: tuple[int, int], name: str) -> str | None:
    """The exact rule, for a local header that differs from its central record: the reason it is wrong, or None."""
    signature, _, local_flags, local_method, _, _, _, local_csize, local_usize, name_length, _ = _LOCAL.unpack_from(window, at)
    flags, method = struct.unpack_from("<HH", expected, 2)
    if signature != _LOCAL_SIGNATURE or name_length != len(raw_name) or window[at + _LOCAL_SIZE:at + _LOCAL_SIZE + name_length] != raw_name:
        return f"entry `{name}`: the local header does not match the central directory"
    if local_method != method or (local_flags ^ flags) & _ENCRYPTED:
        return f"entry `{name}`: the local header does not match the central directory"
    if not flags & _DATA_DESCRIPTOR and _U32 not in (local_csize, local_usize) and (local_csize, local_usize) != sizes:
        return f"entry `{name}`: local and central sizes disagree"
    return None
