"""The entry rules of the manifest schema, applied fast; and the JSON-Schema path they must agree with.

Validating a million entries one by one with jsonschema would take ~17 s, so entries are
checked with rules read from the same schema (`EntryRules.from_schema`), a batch at a time:
a few whole-batch tests (C-speed string searches, `max`, `list.count`) prove most batches
clean, and only a batch that might hold a violation is checked entry by entry. A property
test proves that both paths give the same violations.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import compress
from typing import Any

import jsonschema

from snet_cli_training.dataset.entries import FILE, OTHER, Batch, Entry
from snet_cli_training.dataset.requirements import (
    MIB,
    UNSAFE_NAME_PATTERN,
    MethodLimits,
    dataset_schema,
    extensions_all_allowed,
    file_extension,
    names_may_be_unsafe,
)
from snet_cli_training.dataset.violations import (
    DatasetViolation,
    dataset_too_big,
    empty_dataset,
    file_too_big,
    link_entry,
    special_file,
    too_many_files,
    unsafe_path,
    wrong_dataset_type,
    wrong_file_type,
)


@dataclass(frozen=True)
class EntryRules:
    """The schema's entry rules, compiled."""

    unsafe_name: re.Pattern[str]
    kinds: frozenset[str]
    max_file_bytes: int = 0
    file_types: tuple[str, ...] = ()
    _allowed: frozenset[str] = field(default=frozenset(), repr=False)

    @classmethod
    def from_schema(cls, schema: Mapping[str, Any]) -> EntryRules:
        """Read the rules of `$defs.entry` in a schema made by dataset_schema."""
        entry = schema["$defs"]["entry"]
        file_rules = entry.get("then", {}).get("properties", {})
        file_types = tuple(file_rules.get("extension", {}).get("enum", ()))
        return cls(
            unsafe_name=re.compile(entry["properties"]["name"]["not"]["pattern"]),
            kinds=frozenset(entry["properties"]["kind"]["enum"]),
            max_file_bytes=file_rules.get("size", {}).get("maximum", 0),
            file_types=file_types,
            _allowed=frozenset(file_types),
        )

    def check(self, name: str, size: int, kind: str) -> list[DatasetViolation]:
        """The violations of one entry."""
        found = []
        if self.unsafe_name.search(name):
            found.append(unsafe_path(name))
        if kind not in self.kinds:
            found.append(special_file(name) if kind == OTHER else link_entry(name, kind))
        if kind == FILE:
            if self._allowed:
                extension = file_extension(name)
                if extension not in self._allowed:
                    found.append(wrong_file_type(name, extension, self.file_types))
            if self.max_file_bytes and size > self.max_file_bytes:
                found.append(file_too_big(name, size, self.max_file_bytes // MIB))
        return found

    def check_batch(self, batch: Batch) -> tuple[list[DatasetViolation], int, int]:
        """The violations of a batch's entries, in entry order, with its count of files and their total size."""
        names, sizes, kinds = batch
        files = kinds.count(FILE)
        if files == len(kinds):
            file_names, file_sizes = names, sizes
        else:
            selected = [kind == FILE for kind in kinds]
            file_names, file_sizes = list(compress(names, selected)), list(compress(sizes, selected))
        if self._clean(batch, files, file_names, file_sizes):
            return [], files, sum(file_sizes)
        violations = [violation for entry in batch.entries() for violation in self.check(*entry)]
        return violations, files, sum(file_sizes)

    def _clean(self, batch: Batch, files: int, file_names: list[str], file_sizes: list[int]) -> bool:
        """True only when no entry of the batch breaks a rule; False means "look at each entry"."""
        names, _, kinds = batch
        if sum(kinds.count(kind) for kind in self.kinds) != len(kinds):
            return False
        if self.max_file_bytes and files and max(file_sizes) > self.max_file_bytes:
            return False
        joined = "\n" + "\n".join(names) + "\n"
        if self.unsafe_name.pattern == UNSAFE_NAME_PATTERN:
            if names_may_be_unsafe(joined):
                return False
        elif any(map(self.unsafe_name.search, names)):
            return False
        if self._allowed and files:
            files_joined = joined if file_names is names else "\n" + "\n".join(file_names) + "\n"
            return extensions_all_allowed(files_joined.lower(), files, self._allowed)
        return True


def manifest_entry(entry: Entry) -> dict[str, Any]:
    """An entry as the manifest schema describes it."""
    return {"name": entry.name, "kind": entry.kind, "size": entry.size, "extension": file_extension(entry.name)}


def manifest_violations(manifest: Mapping[str, Any], limits: MethodLimits,
                        schema: Mapping[str, Any] | None = None) -> list[DatasetViolation]:
    """Every violation jsonschema finds in a manifest (entries included), mapped to the report's codes
    (`schema`: LIMITS' dataset schema, when the caller has built it already)."""
    validator = jsonschema.Draft202012Validator(dataset_schema(limits) if schema is None else schema)
    return [_violation_from_error(error, manifest, limits) for error in validator.iter_errors(manifest)]


def _violation_from_error(error: jsonschema.ValidationError, manifest: Mapping[str, Any], limits: MethodLimits) -> DatasetViolation:
    path = list(error.absolute_path)
    if path[:1] == ["entries"] and len(path) == 3:
        entry = manifest["entries"][path[1]]
        name = entry["name"]
        return {
            "name": lambda: unsafe_path(name),
            "kind": lambda: special_file(name) if entry["kind"] == OTHER else link_entry(name, entry["kind"]),
            "size": lambda: file_too_big(name, entry["size"], limits.dataset_max_size_single_file_mb),
            "extension": lambda: wrong_file_type(name, entry["extension"], limits.dataset_files_type),
        }[path[2]]()
    if path == ["format"]:
        return wrong_dataset_type(manifest["format"], limits.dataset_type)
    if path == ["size_bytes"] and error.validator == "maximum":
        return dataset_too_big(manifest["size_bytes"], limits.dataset_max_size_mb)
    if path == ["files"] and error.validator == "maximum":
        return too_many_files(manifest["files"], limits.dataset_max_count_files)
    if path == ["files"] and error.validator == "minimum":
        return empty_dataset()
    raise ValueError(f"manifest does not follow its own schema: {error.message}")
