"""The ways a dataset can fail its method's requirements, worded as the SingularityNET SDK words the four it checks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from snet_cli_training.dataset.entries import SYMLINK

# Characters that would let a name forge lines or colours in a terminal: C0 and C1 controls,
# DEL, line and paragraph separators, bidirectional overrides and isolates.

_VIOLATION_KEYS = {
    "dataset_too_big": ("limit", "actual"),
    "too_many_files": ("limit", "actual"),
    "file_too_big": ("file", "limit", "actual"),
    "wrong_file_type": ("file", "limit", "actual"),
    "wrong_dataset_type": ("limit", "actual"),
    "unsafe_path": ("file",),
    "link_entry": ("file",),
    "corrupt_archive": (),
    "empty_dataset": (),
}


@dataclass(frozen=True)
class DatasetViolation:
    """One way a dataset fails the method's requirements; `to_dict` keeps the keys docs/commands.md#violation-codes lists for its code."""

    code: str
    message: str
    file: str = ""
    limit: Any = None
    actual: Any = None

    def to_dict(self) -> dict[str, Any]:
        """The violation as the JSON dataset report shows it."""
        result: dict[str, Any] = {"code": self.code, "message": self.message}
        for key in _VIOLATION_KEYS[self.code]:
            value = getattr(self, key)
            result[key] = list(value) if isinstance(value, tuple) else value
        return result


def mebibytes(size: int) -> float:
    """Bytes as the SDK prints them: MiB of whole KiB (24.65625)."""
    return size // 1024 / 1024


def dataset_too_big(size: int, limit_mb: int) -> DatasetViolation:
    """The uploaded file is larger than dataset_max_size_mb."""
    actual = mebibytes(size)
    return DatasetViolation("dataset_too_big", f"Too big dataset size: {actual} MB > {limit_mb} MB", limit=limit_mb, actual=actual)


def too_many_files(count: int, limit: int) -> DatasetViolation:
    """More regular files than dataset_max_count_files."""
    return DatasetViolation("too_many_files", f"Too many files: {count} > {limit}", limit=limit, actual=count)


def file_too_big(name: str, size: int, limit_mb: int) -> DatasetViolation:
    """A file's uncompressed size is over dataset_max_size_single_file_mb."""
    actual = mebibytes(size)
    return DatasetViolation(
        "file_too_big", f"Too big file `{name}` size: {actual} MB > {limit_mb} MB", file=name, limit=limit_mb, actual=actual
    )


def wrong_file_type(name: str, extension: str, allowed: tuple[str, ...]) -> DatasetViolation:
    """A file's extension is not in dataset_files_type."""
    message = f"Wrong file type: `{extension}` in file: `{name}`. Allowed file types: {', '.join(allowed)}"
    return DatasetViolation("wrong_file_type", message, file=name, limit=allowed, actual=extension)


def wrong_dataset_type(fmt: str, allowed: tuple[str, ...]) -> DatasetViolation:
    """The archive format is not in dataset_type."""
    message = f"Wrong dataset type: `{fmt}`. Allowed dataset types: {', '.join(allowed)}"
    return DatasetViolation("wrong_dataset_type", message, limit=allowed, actual=fmt)


def unsafe_path(name: str) -> DatasetViolation:
    """An entry that would land outside the extraction directory."""
    return DatasetViolation("unsafe_path", f"Unsafe path: `{name}` ({_unsafe_reason(name)})", file=name)


def special_file(name: str) -> DatasetViolation:
    """An archive member that is neither file, directory nor link (a device or FIFO): unsafe to extract."""
    return DatasetViolation("unsafe_path", f"Unsafe path: `{name}` is a device or FIFO, not a regular file", file=name)


def link_entry(name: str, kind: str) -> DatasetViolation:
    """A symbolic or hard link inside the archive."""
    what = "a symbolic link" if kind == SYMLINK else "a hard link"
    return DatasetViolation("link_entry", f"Link entry: `{name}` is {what}", file=name)


def corrupt_archive(reason: str) -> DatasetViolation:
    """The file is not a valid archive."""
    return DatasetViolation("corrupt_archive", f"Corrupt archive: {reason}")


def empty_dataset() -> DatasetViolation:
    """No regular file at all."""
    return DatasetViolation("empty_dataset", "Empty dataset: no files to train on")


def _unsafe_reason(name: str) -> str:
    if not name:
        return "empty name"
    if name[0] in "/\\":
        return "absolute path"
    if re.match(r"[A-Za-z]:", name):
        return "drive letter"
    return "`..` component"
