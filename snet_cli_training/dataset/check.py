"""A dataset checked against its method's limits: the report `check-dataset` prints and `upload` refuses on."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from snet_cli_training.console import render

from snet_cli_training.dataset.entries import SYMLINK, Batch, CorruptArchive, Entry
from snet_cli_training.dataset.folder import LeftOut
from snet_cli_training.dataset.formats import UNKNOWN_FORMAT
from snet_cli_training.dataset.packing import PreparedDataset
from snet_cli_training.dataset.requirements import MethodLimits, dataset_schema
from snet_cli_training.dataset.rules import EntryRules, manifest_violations
from snet_cli_training.dataset.violations import DatasetViolation, corrupt_archive

_DATASET_ORDER = ("wrong_dataset_type", "dataset_too_big", "too_many_files", "empty_dataset")


@dataclass(frozen=True)
class DatasetReport:
    """The result of a dataset check: the dataset report (docs/commands.md#dataset-report), and warnings for stderr."""

    path: str
    format: str
    size_bytes: int
    files: int
    total_uncompressed_bytes: int
    violations: tuple[DatasetViolation, ...]
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the dataset meets every requirement."""
        return not self.violations

    def to_dict(self) -> dict[str, Any]:
        """The JSON dataset report (warnings are not part of it)."""
        return {
            "ok": self.ok,
            "path": self.path,
            "format": self.format,
            "size_bytes": self.size_bytes,
            "files": self.files,
            "total_uncompressed_bytes": self.total_uncompressed_bytes,
            "violations": [violation.to_dict() for violation in self.violations],
        }

    def text(self) -> str:
        """Human text: the facts in snet-cli's YAML style; when failing, `Dataset check failed:` and a tab-indented line per violation."""
        facts = self.to_dict()
        del facts["violations"]
        if self.ok:
            return render.to_yaml(facts)
        lines = ("\t" + render.printable(violation.message) for violation in self.violations)
        return "\n".join([render.to_yaml(facts), "Dataset check failed:", *lines])


def check_dataset(path: str, limits: MethodLimits) -> DatasetReport:
    """Check the dataset at PATH (an archive or a folder) against LIMITS; DatasetPathError when PATH cannot be read."""
    with PreparedDataset(path, limits.dataset_type) as prepared:
        return check_prepared(prepared, limits)


def check_prepared(prepared: PreparedDataset, limits: MethodLimits) -> DatasetReport:
    """Check a prepared dataset (the archive it will send, and what its folder held besides) against LIMITS."""
    schema = dataset_schema(limits)
    rules = EntryRules.from_schema(schema)
    entry_violations: list[DatasetViolation] = []
    files = total = 0
    corruption: list[DatasetViolation] = []
    links = [item for item in prepared.left_out if item.kind == SYMLINK]
    try:
        for batch in _with_links(prepared.batches(), links):
            found, batch_files, batch_total = rules.check_batch(batch)
            entry_violations.extend(found)
            files += batch_files
            total += batch_total
    except CorruptArchive as exc:
        corruption.append(corrupt_archive(str(exc)))
    facts: dict[str, Any] = {"size_bytes": prepared.size_bytes, "files": files}
    if prepared.format != UNKNOWN_FORMAT:
        facts["format"] = prepared.format
    dataset_violations = [
        violation
        for violation in manifest_violations(facts, limits, schema)
        if not (corruption and violation.code == "empty_dataset")
    ]
    dataset_violations.sort(key=lambda violation: _DATASET_ORDER.index(violation.code))
    return DatasetReport(
        path=prepared.path,
        format=prepared.format,
        size_bytes=prepared.size_bytes,
        files=files,
        total_uncompressed_bytes=total,
        violations=tuple(dataset_violations + corruption + entry_violations),
        # FIFOs, sockets and devices are not in the archive, so they cannot harm whoever extracts it.
        warnings=tuple(_skipped(item) for item in prepared.left_out if item.kind != SYMLINK),
    )


def _with_links(batches: Iterator[Batch], links: list[LeftOut]) -> Iterator[Batch]:
    """BATCHES with the folder's links put back where the walk met them, so that violations come in name order."""
    waiting = links[::-1]
    position = 0
    for batch in batches:
        end = position + len(batch.names)
        if not waiting or waiting[-1].position >= end:
            yield batch
        else:
            entries = []
            for offset, entry in enumerate(batch.entries()):
                while waiting and waiting[-1].position <= position + offset:
                    entries.append(Entry(waiting.pop().name, 0, SYMLINK))
                entries.append(entry)
            yield Batch.of(entries)
        position = end
    if waiting:
        yield Batch.of([Entry(link.name, 0, SYMLINK) for link in reversed(waiting)])


def _skipped(item: LeftOut) -> str:
    return f"skipped `{render.printable(item.name)}`: it is {item.what}, and the archive upload builds holds regular files only"
