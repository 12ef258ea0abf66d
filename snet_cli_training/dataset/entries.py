"""What a dataset is made of: entries (name, uncompressed size, kind), read in batches."""

from __future__ import annotations

from typing import NamedTuple

FILE = "file"
DIRECTORY = "dir"
SYMLINK = "symlink"
HARDLINK = "hardlink"
OTHER = "other"


class Entry(NamedTuple):
    """One archive member: its name, uncompressed size in bytes, and kind (FILE, DIRECTORY, ...)."""

    name: str
    size: int
    kind: str


class Batch(NamedTuple):
    """Consecutive entries as three parallel lists, so that checks can look at many entries in one call."""

    names: list[str]
    sizes: list[int]
    kinds: list[str]

    @classmethod
    def of(cls, entries: list[Entry]) -> Batch:
        """The batch of ENTRIES."""
        return cls([entry.name for entry in entries], [entry.size for entry in entries], [entry.kind for entry in entries])

    def entries(self) -> list[Entry]:
        """The batch one entry at a time."""
        return [Entry(*fields) for fields in zip(self.names, self.sizes, self.kinds, strict=True)]


class CorruptArchive(Exception):
    """The dataset opened but is not a valid archive (truncated, encrypted, inconsistent)."""
