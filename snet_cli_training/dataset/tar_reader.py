"""Tar archives (plain or compressed) -> batches of entries, reading the headers in one forward pass.

Our own header parser rather than `tarfile`: it never seeks back, so a hostile size cannot
make it loop; it reads no member data into memory; and it is several times faster. It follows
tarfile's reading of ustar, GNU (long names, old sparse) and pax headers (local and global,
`path`, `size`, the GNU sparse keys): sizes are those the headers claim, never checked by
extracting. A header that is not valid, a negative size, or data cut short is CorruptArchive.
"""

from __future__ import annotations

from collections.abc import Iterator

from snet_cli_training.dataset.compression import ERRORS, tar_chunks
from snet_cli_training.dataset.entries import DIRECTORY, FILE, HARDLINK, OTHER, SYMLINK, Batch, CorruptArchive

BLOCK = 512
BATCH_SIZE = 4096
# A pax header or GNU long name is read into memory; real ones are far below this.
MAX_META_BYTES = 64 << 20
_ZERO_BLOCK = bytes(BLOCK)
_REGULAR = (b"0", b"\0", b"7")
_OLD_SPARSE = b"S"
_KINDS = {b"1": HARDLINK, b"2": SYMLINK, b"5": DIRECTORY, b"3": OTHER, b"4": OTHER, b"6": OTHER}
_SUPPORTED = frozenset((*_REGULAR, _OLD_SPARSE, *_KINDS))
_LONG_NAME, _LONG_LINK = b"L", b"K"
_PAX_LOCAL, _PAX_GLOBAL = (b"x", b"X"), b"g"
_POSIX_MAGIC = b"ustar\x0000"


def tar_batches(path: str, fmt: str) -> Iterator[Batch]:
    """The entries of the FMT archive at PATH (tar, tar.gz, tar.bz2, tar.xz), in archive order."""
    try:
        with open(path, "rb", buffering=0) as raw:
            yield from _TarStream(tar_chunks(raw, fmt), fmt).batches()
    except ERRORS as exc:
        raise CorruptArchive(f"unreadable {fmt} archive: {exc}") from exc


def is_tar_header(block: bytes) -> bool:
    """Whether BLOCK is a tar header: the ustar magic, or (old v7 archives have none) a valid checksum."""
    return block[257:262] == b"ustar" or _problem(block) is None


class _InvalidField(Exception):
    """A numeric header field that is not a number."""


def _number(field: bytes) -> int:
    """A numeric header field: octal text, or GNU base-256 (first byte 0x80 or, negative, 0xFF)."""
    if field[0] & 0x80:
        if field[0] not in (0x80, 0xFF):
            raise _InvalidField
        value = int.from_bytes(field[1:], "big")
        return value - 256 ** (len(field) - 1) if field[0] == 0xFF else value
    text = field.split(b"\0", 1)[0].strip()
    if not text:
        return 0
    if text[:1] == b"-" and text[1:].isdigit():
        return -int(text[1:], 8)
    if not text.isdigit():
        raise _InvalidField
    try:
        return int(text, 8)
    except ValueError:
        raise _InvalidField from None


def _problem(block: bytes) -> str | None:
    """Why BLOCK is not a tar header, in tarfile's words; None when it is one."""
    if not block:
        return "empty header"
    if len(block) < BLOCK:
        return "truncated header"
    if block == _ZERO_BLOCK:
        return "end of file header"
    try:
        stored = _number(block[148:156])
    except _InvalidField:
        return "invalid header"
    # The sum of the header's bytes with the checksum field as spaces; old Sun tars summed signed bytes.
    unsigned = sum(block) - sum(block[148:156]) + 8 * 0x20
    if stored == unsigned or stored == unsigned - 256 * sum(1 for byte in block[:148] + block[156:] if byte & 0x80):
        return None
    return "bad checksum"


def _text(data: bytes) -> str:
    return data.split(b"\0", 1)[0].decode("utf-8", "replace")


class _TarStream:
    """One pass over the tar bytes of CHUNKS; error messages as tarfile words them where it has words for them."""

    def __init__(self, chunks: Iterator[bytes], fmt: str) -> None:
        self._chunks = chunks
        self._unreadable = f"unreadable {fmt} archive"
        self._buffer = b""
        self._position = 0
        self.offset = 0  # of the byte at _position, from the start of the tar stream
        self._data_to_skip = 0  # the data of the member last returned
        self._seek_past = getattr(chunks, "skip", None)  # a plain tar file's: data passed over unread
        self._global: dict[str, str] = {}

    def _read(self, size: int) -> bytes:
        """SIZE bytes, or fewer at the end of the stream."""
        if self._position + size > len(self._buffer):
            parts = [self._buffer[self._position:]]
            available = len(parts[0])
            while available < size and (chunk := next(self._chunks, b"")):
                parts.append(chunk)
                available += len(chunk)
            self._buffer, self._position = b"".join(parts), 0
        data = self._buffer[self._position:self._position + size]
        self._position += len(data)
        self.offset += len(data)
        return data

    def _skip(self, size: int) -> None:
        """Skip SIZE bytes, rounded up to whole blocks; the stream must hold them."""
        size += -size % BLOCK
        while size:
            available = len(self._buffer) - self._position
            if available >= size:
                self._position += size
                self.offset += size
                return
            self.offset += available
            size -= available
            if self._seek_past is not None:
                if not self._seek_past(size):
                    raise CorruptArchive(f"{self._unreadable}: unexpected end of data")
                self.offset += size
                self._buffer, self._position = b"", 0
                return
            self._buffer, self._position = next(self._chunks, b""), 0
            if not self._buffer:
                raise CorruptArchive(f"{self._unreadable}: unexpected end of data")

    def _meta(self, size: int, what: str, start: int) -> bytes:
        """The data of a pax header or GNU long name, read whole."""
        if size > MAX_META_BYTES:
            raise CorruptArchive(f"the {what} at byte {start} claims {size} bytes")
        data = self._read(size + -size % BLOCK)
        if len(data) < size + -size % BLOCK:
            raise CorruptArchive(f"{self._unreadable}: empty header")
        return data[:size]

    def batches(self) -> Iterator[Batch]:
        """The members, a batch at a time; the members before a corruption come out before it is raised."""
        batch = Batch([], [], [])
        try:
            while (member := self._member()) is not None:
                batch.names.append(member[0])
                batch.sizes.append(member[1])
                batch.kinds.append(member[2])
                if len(batch.names) >= BATCH_SIZE:
                    yield batch
                    batch = Batch([], [], [])
            for _ in self._chunks:  # the rest of a compressed stream must still decode
                pass
        except (CorruptArchive, *ERRORS):
            if batch.names:
                yield batch
            raise
        if batch.names:
            yield batch

    def _member(self) -> tuple[str, int, str] | None:
        """The next member (name, size, kind), or None at the end of the archive."""
        self._skip(self._data_to_skip)
        self._data_to_skip = 0
        fields: dict[str, str] = {}
        long_name = None
        extended = False  # a pax header or GNU long name came first: the next block must be a header
        while True:
            start = self.offset
            block = self._read(BLOCK)
            problem = _problem(block)
            if problem is None:
                try:
                    size = _number(block[124:136])
                except _InvalidField:
                    problem = "invalid header"
            if problem is not None:
                if extended or (start == 0 and problem != "end of file header"):
                    raise CorruptArchive(f"{self._unreadable}: {'empty file' if problem == 'empty header' and not extended else problem}")
                if problem in ("empty header", "end of file header") or not block.strip(b"\0"):
                    return None
                raise CorruptArchive(f"invalid tar header at byte {start}")
            if size < 0:  # it would send the reader back to a header it has read: round and round
                raise CorruptArchive(f"the tar header at byte {start} claims a negative size ({size})")
            kind_flag = block[156:157]
            if kind_flag in _PAX_LOCAL or kind_flag == _PAX_GLOBAL:
                records = _pax_records(self._meta(size, "pax header", start), start)
                (self._global if kind_flag == _PAX_GLOBAL else fields).update(records)
            elif kind_flag in (_LONG_NAME, _LONG_LINK):
                data = self._meta(size, "GNU long name", start)
                if kind_flag == _LONG_NAME:
                    long_name = _text(data)
            else:
                return self._finish(block, kind_flag, size, {**self._global, **fields}, long_name)
            extended = True

    def _finish(self, block: bytes, kind_flag: bytes, size: int, fields: dict[str, str], long_name: str | None) -> tuple[str, int, str]:
        name = _text(block[:100])
        kind = FILE if kind_flag in _REGULAR or kind_flag == _OLD_SPARSE else _KINDS.get(kind_flag, OTHER)
        if kind_flag == b"\0" and name.endswith("/"):  # how old v7 archives mark a directory
            kind = DIRECTORY
        if block[257:265] == _POSIX_MAGIC and block[345] and kind_flag != _OLD_SPARSE:
            name = _text(block[345:500]) + "/" + name
        if long_name is not None:
            name = long_name
        stored = _pax_number(fields, "size", size)
        claimed = stored
        if kind_flag == _OLD_SPARSE:
            claimed = self._old_sparse_size(block)
        for key in ("GNU.sparse.size", "GNU.sparse.realsize"):
            claimed = _pax_number(fields, key, claimed)
        if "path" in fields:
            name = fields["path"].rstrip("/")
        name = fields.get("GNU.sparse.name", name)
        if kind == DIRECTORY:
            name = name.rstrip("/")
        if kind_flag in _REGULAR or kind_flag == _OLD_SPARSE or kind_flag not in _SUPPORTED:
            self._data_to_skip = stored
        return name, claimed, kind

    def _old_sparse_size(self, block: bytes) -> int:
        """The real size of an old GNU sparse member, after reading past its extension blocks."""
        try:
            real_size = _number(block[483:495])
        except _InvalidField:
            raise CorruptArchive(f"{self._unreadable}: invalid header") from None
        if real_size < 0:
            raise CorruptArchive(f"a sparse tar member claims a negative size ({real_size})")
        extended = block[482]
        while extended:
            extension = self._read(BLOCK)
            if len(extension) < BLOCK:
                raise CorruptArchive(f"{self._unreadable}: truncated header")
            extended = extension[504]
        return real_size


def _pax_number(fields: dict[str, str], key: str, default: int) -> int:
    if key not in fields:
        return default
    value = fields[key].strip()
    if value.startswith("-"):
        raise CorruptArchive(f"a pax header claims a negative {key}: {value}")
    if not value.isdigit() or not value.isascii():
        raise CorruptArchive(f"a pax header has an invalid {key}: {value!r}")
    return int(value)


def _pax_records(data: bytes, start: int) -> dict[str, str]:
    """The `LENGTH KEY=VALUE\\n` records of a pax header; a malformed record is CorruptArchive."""
    records: dict[str, str] = {}
    position = 0
    while position < len(data):
        if data[position] == 0 and not data[position:].strip(b"\0"):
            break
        space = data.find(b" ", position, position + 20)
        length_text = data[position:space] if space > 0 else b""
        if not length_text.isdigit():
            raise CorruptArchive(f"malformed pax record in the header at byte {start}")
        end = position + int(length_text)
        record = data[space + 1:end]
        key, equals, value = record.partition(b"=")
        if end <= space or end > len(data) or not equals or not record.endswith(b"\n") or not key:
            raise CorruptArchive(f"malformed pax record in the header at byte {start}")
        records[key.decode("utf-8", "replace")] = value[:-1].decode("utf-8", "replace")
        position = end
    return records

