"""The compressed tar formats (gzip, bzip2, xz): their magic bytes, and their content (or a plain tar's) as chunks.

Concatenated streams and what may follow a stream are handled as the command-line tools
accept them: gzip skips zero bytes, xz takes zero padding in multiples of four bytes and
nothing else (as `xz -t`), bzip2 ignores trailing bytes that do not start a new stream.
"""

from __future__ import annotations

import bz2
import lzma
import os
import stat
import zlib
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO, NamedTuple

from snet_cli_training.dataset.entries import CorruptArchive

CHUNK = 1 << 20
ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError)


class _Inflater:
    """zlib's gzip decoder behind the interface of bz2's and lzma's decompressors."""

    def __init__(self) -> None:
        self._zlib = zlib.decompressobj(31)
        self._output_full = False

    def decompress(self, data: bytes, max_length: int) -> bytes:
        tail = self._zlib.unconsumed_tail
        chunk = self._zlib.decompress(tail + data if tail else data, max_length)
        self._output_full = len(chunk) == max_length
        return chunk

    @property
    def needs_input(self) -> bool:
        # A full output may leave output pending inside zlib even when all input was taken.
        return not self._zlib.unconsumed_tail and not self._output_full

    eof = property(lambda self: self._zlib.eof)
    unused_data = property(lambda self: self._zlib.unused_data)


class Codec(NamedTuple):
    """How one compressed format starts, is decoded, and may end."""

    magic: bytes
    new: Callable[[], Any]
    padding_unit: int  # zero bytes after a stream must come in multiples of this; 0: they are not padding
    trailing_bytes: str  # what bytes after a stream that do not start another one mean: "" (ignored) or the error


CODECS = {
    "tar.gz": Codec(b"\x1f\x8b", _Inflater, 1, "Not a gzipped file ({start!r})"),  # as the gzip module words it
    "tar.bz2": Codec(b"BZh", bz2.BZ2Decompressor, 0, ""),
    "tar.xz": Codec(b"\xfd7zXZ\x00", lambda: lzma.LZMADecompressor(lzma.FORMAT_XZ), 4, "unexpected bytes after the xz stream"),
}


def decompressed(raw: BinaryIO, fmt: str) -> Iterator[bytes]:
    """The decompressed bytes of RAW (a FMT file) in chunks of at most CHUNK bytes.

    A damaged stream raises CorruptArchive or one of ERRORS (what the decompressors raise).
    """
    codec = CODECS[fmt]
    decompressor = codec.new()
    data = raw.read(CHUNK)
    while True:
        chunk = decompressor.decompress(data, CHUNK)
        if chunk:
            yield chunk
        if decompressor.eof:
            data = _next_stream(decompressor.unused_data, raw, codec)
            if not data:
                return
            decompressor = codec.new()
        elif decompressor.needs_input:
            data = raw.read(CHUNK)
            if not data:  # worded as the standard library words it
                raise EOFError("Compressed file ended before the end-of-stream marker was reached")
        else:
            data = b""


def _next_stream(data: bytes, raw: BinaryIO, codec: Codec) -> bytes:
    """After a stream's end: skip what may follow it; the start of the next stream, or b"" at the end (OSError if neither)."""
    padding = 0
    while True:
        stripped = data.lstrip(b"\0") if codec.padding_unit else data
        padding += len(data) - len(stripped)
        data = stripped
        if len(data) >= len(codec.magic):
            break
        more = raw.read(CHUNK)
        if not more:
            break
        data += more
    if codec.padding_unit and padding % codec.padding_unit:
        raise OSError(f"{padding} bytes of stream padding, not a multiple of {codec.padding_unit}")
    if not data or data.startswith(codec.magic):
        return data
    if not codec.trailing_bytes:
        return b""
    raise OSError(codec.trailing_bytes.format(start=data[:2]))


def decompressed_head(raw: BinaryIO, fmt: str, size: int) -> bytes:
    """The first SIZE decompressed bytes of RAW (fewer if it holds fewer); b"" when it is not valid FMT."""
    head = b""
    try:
        # The whole stream if need be: a gzip header's file name or comment may be any length.
        for chunk in decompressed(raw, fmt):
            head += chunk
            if len(head) >= size:
                break
    except (CorruptArchive, *ERRORS):
        return b""
    return head[:size]


def tar_chunks(raw: BinaryIO, fmt: str) -> Iterator[bytes]:
    """The tar bytes of RAW in chunks: decompressed for tar.gz, tar.bz2 and tar.xz; a plain tar file's own bytes,
    which can pass over member data by seeking (`skip`); a plain tar from a pipe, read through."""
    if fmt != "tar":
        return decompressed(raw, fmt)
    if stat.S_ISREG(os.fstat(raw.fileno()).st_mode):
        return _FileChunks(raw)
    return _raw_chunks(raw)


def _raw_chunks(raw: BinaryIO) -> Iterator[bytes]:
    while chunk := raw.read(CHUNK):
        yield chunk


class _FileChunks:
    """A plain tar file's bytes in chunks, whose member data can be passed over by seeking instead of reading."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._size = os.fstat(raw.fileno()).st_size

    def __iter__(self) -> _FileChunks:
        return self

    def __next__(self) -> bytes:
        chunk = self._raw.read(CHUNK)
        if not chunk:
            raise StopIteration
        return chunk

    def skip(self, size: int) -> bool:
        """Move SIZE bytes forward; False (and no move) when the file ends before that."""
        target = self._raw.tell() + size
        if target > self._size:
            return False
        self._raw.seek(target)
        return True
