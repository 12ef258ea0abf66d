"""Archive formats: detection by content first, then by the name's suffix; the archive a folder is packed as."""

from __future__ import annotations

from collections.abc import Sequence

from snet_cli_training.dataset.compression import CODECS, decompressed_head
from snet_cli_training.dataset.tar_reader import BLOCK, is_tar_header

UNKNOWN_FORMAT = "unknown"
TAR_FORMATS = ("tar", "tar.gz", "tar.bz2", "tar.xz")
FOLDER_ARCHIVE_FORMATS = ("zip", "tar.gz", "tar")

_SUFFIXES = (
    (".tar.gz", "tar.gz"), (".tgz", "tar.gz"),
    (".tar.bz2", "tar.bz2"), (".tbz2", "tar.bz2"), (".tbz", "tar.bz2"),
    (".tar.xz", "tar.xz"), (".txz", "tar.xz"),
    (".tar", "tar"), (".zip", "zip"),
)
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")


def detect_format(path: str) -> str:
    """The archive format of a file: by content first, then by the name's suffix (OSError when it cannot be read)."""
    with open(path, "rb") as stream:
        head = stream.read(BLOCK)
        if head[:4] in _ZIP_MAGICS:
            return "zip"
        for fmt, codec in CODECS.items():
            if head.startswith(codec.magic):
                stream.seek(0)
                return fmt if is_tar_header(decompressed_head(stream, fmt, BLOCK)) else format_by_suffix(path)
    return "tar" if is_tar_header(head) else format_by_suffix(path)


def format_by_suffix(path: str) -> str:
    """The archive format a file name suggests, or UNKNOWN_FORMAT."""
    lowered = path.lower()
    return next((fmt for suffix, fmt in _SUFFIXES if lowered.endswith(suffix)), UNKNOWN_FORMAT)


def folder_archive_format(dataset_types: Sequence[str]) -> str:
    """The archive a folder is packed as: the first of zip, tar.gz, tar that DATASET_TYPES allows; zip if none is."""
    return next((fmt for fmt in FOLDER_ARCHIVE_FORMATS if fmt in dataset_types), "zip")
