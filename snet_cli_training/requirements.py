"""Method metadata -> the JSON Schema of a dataset manifest; a dataset -> its report of violations.

The per-dataset facts (format, archive size, file count) are validated with the JSON Schema
itself. Entries are checked on a fast path whose rules are read from the same schema
(`EntryRules.from_schema`), because validating a million entries one by one with jsonschema
would take ~17 s; a test proves both give the same violations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from snet_cli_training import render
from snet_cli_training.dataset import (
    FILE,
    OTHER,
    SYMLINK,
    UNKNOWN_FORMAT,
    CorruptArchive,
    Entry,
    open_dataset,
)
from snet_cli_training.errors import UserInputError

MIB = 1024 * 1024
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
# An empty name, an absolute path (/ or \), a drive letter, or a `..` component.
UNSAFE_NAME_PATTERN = r"^$|^[/\\]|^[A-Za-z]:|(^|[/\\])\.\.([/\\]|$)"
_COMPOUND_EXTENSIONS = ("tar.gz", "tar.bz2", "tar.xz")
_DATASET_TYPE_ALIASES = {"tgz": "tar.gz", "tbz": "tar.bz2", "tbz2": "tar.bz2", "txz": "tar.xz"}
_TYPE_SEPARATORS = re.compile(r"[,\s]+")
_TYPE_TRIM = ".'\"[](){}`"
_COUNT_FIELDS = ("dataset_max_size_mb", "dataset_max_count_files", "dataset_max_size_single_file_mb", "max_models_per_user")
_TEXT_FIELDS = ("dataset_description", "default_model_id")
_TYPE_FIELDS = ("dataset_files_type", "dataset_type")


def parse_type_list(value: str | Iterable[str]) -> list[str]:
    """Normalise a free-form type list ("jpg, png", "[.JPG,'png']", ["jpg"]) to lower-case names, in order, once each."""
    parts = [value] if isinstance(value, str) else list(value)
    names: list[str] = []
    for part in parts:
        for token in _TYPE_SEPARATORS.split(part):
            name = token.strip(_TYPE_TRIM).lower()
            if name and name not in names:
                names.append(name)
    return names


def parse_dataset_types(value: str | Iterable[str]) -> list[str]:
    """parse_type_list for dataset_type, where tgz means tar.gz (and tbz2, txz alike)."""
    names: list[str] = []
    for name in parse_type_list(value):
        canonical = _DATASET_TYPE_ALIASES.get(name, name)
        if canonical not in names:
            names.append(canonical)
    return names


def file_extension(name: str) -> str:
    """A member's extension: its last suffix, lower-cased (tar.gz, tar.bz2, tar.xz kept whole); "" when none."""
    base = name.rstrip("/\\").rsplit("/", 1)[-1].rsplit("\\", 1)[-1].lower()
    for compound in _COMPOUND_EXTENSIONS:
        if base.endswith("." + compound) and len(base) > len(compound) + 1:
            return compound
    stem, dot, suffix = base.lstrip(".").rpartition(".")
    return suffix if dot and stem else ""


@dataclass(frozen=True)
class MethodLimits:
    """The dataset requirements of a training method (the daemon's MethodMetadata); 0 or empty means no limit."""

    dataset_max_size_mb: int = 0
    dataset_max_count_files: int = 0
    dataset_max_size_single_file_mb: int = 0
    dataset_files_type: tuple[str, ...] = ()
    dataset_type: tuple[str, ...] = ()
    dataset_description: str = ""
    default_model_id: str = ""
    max_models_per_user: int = 0

    @classmethod
    def from_mapping(cls, data: object) -> MethodLimits:
        """Build the limits from a --metadata JSON object (other keys are ignored); raise UserInputError when a field is wrong."""
        if not isinstance(data, Mapping):
            raise UserInputError("method metadata must be a JSON object with the method-metadata field names")
        values: dict[str, Any] = {}
        for name in _COUNT_FIELDS:
            values[name] = _count_field(name, data.get(name))
        for name in _TEXT_FIELDS:
            values[name] = _text_field(name, data.get(name))
        values["dataset_files_type"] = tuple(parse_type_list(_type_field("dataset_files_type", data.get("dataset_files_type"))))
        values["dataset_type"] = tuple(parse_dataset_types(_type_field("dataset_type", data.get("dataset_type"))))
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The 8 fields, named as in --metadata FILE; type fields as normalised lists."""
        return {
            "dataset_max_size_mb": self.dataset_max_size_mb,
            "dataset_max_count_files": self.dataset_max_count_files,
            "dataset_max_size_single_file_mb": self.dataset_max_size_single_file_mb,
            "dataset_files_type": list(self.dataset_files_type),
            "dataset_type": list(self.dataset_type),
            "dataset_description": self.dataset_description,
            "default_model_id": self.default_model_id,
            "max_models_per_user": self.max_models_per_user,
        }


def _count_field(name: str, value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UserInputError(f"method metadata field {name} must be a whole number >= 0 (0 = no limit), not {value!r}")
    return value


def _text_field(name: str, value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise UserInputError(f"method metadata field {name} must be a string, not {value!r}")
    return value


def _type_field(name: str, value: object) -> str | list[str]:
    if value is None:
        return ""
    if isinstance(value, str) or (isinstance(value, list) and all(isinstance(item, str) for item in value)):
        return value
    raise UserInputError(f'method metadata field {name} must be a string like "jpg, png" or an array of strings, not {value!r}')


def dataset_schema(limits: MethodLimits) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) a dataset manifest must satisfy under LIMITS.

    A manifest holds `format`, `size_bytes` (the uploaded file), `files` (regular files only)
    and optionally `entries`: objects with `name`, `kind`, `size` (uncompressed) and `extension`.
    """
    file_rules: dict[str, Any] = {}
    if limits.dataset_max_size_single_file_mb:
        file_rules["size"] = {"maximum": limits.dataset_max_size_single_file_mb * MIB}
    if limits.dataset_files_type:
        file_rules["extension"] = {"enum": list(limits.dataset_files_type)}
    entry: dict[str, Any] = {
        "type": "object",
        "required": ["name", "kind", "size", "extension"],
        "properties": {
            "name": {"type": "string", "not": {"pattern": UNSAFE_NAME_PATTERN}},
            "kind": {"enum": ["file", "dir"]},
            "size": {"type": "integer", "minimum": 0},
            "extension": {"type": "string"},
        },
    }
    if file_rules:
        entry["if"] = {"properties": {"kind": {"const": FILE}}}
        entry["then"] = {"properties": file_rules}
    size_bytes: dict[str, Any] = {"type": "integer", "minimum": 0}
    if limits.dataset_max_size_mb:
        size_bytes["maximum"] = limits.dataset_max_size_mb * MIB
    files: dict[str, Any] = {"type": "integer", "minimum": 1}
    if limits.dataset_max_count_files:
        files["maximum"] = limits.dataset_max_count_files
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "Training dataset manifest",
        "description": limits.dataset_description or "A dataset as `snet training check-dataset` sees it",
        "type": "object",
        "required": ["size_bytes", "files"],
        "properties": {
            "format": {"enum": list(limits.dataset_type)} if limits.dataset_type else {"type": "string"},
            "size_bytes": size_bytes,
            "files": files,
            "entries": {"type": "array", "items": {"$ref": "#/$defs/entry"}},
        },
        "$defs": {"entry": entry},
    }


# Violations

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
    """One way a dataset fails the method's requirements; `to_dict` keeps the keys CLI.md lists for its code."""

    code: str
    message: str
    file: str = ""
    limit: Any = None
    actual: Any = None

    def to_dict(self) -> dict[str, Any]:
        """The violation as CLI.md's JSON dataset report shows it."""
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
    """An entry that would land outside the extraction directory, or is a device or FIFO."""
    return DatasetViolation("unsafe_path", f"Unsafe path: `{name}` ({_unsafe_reason(name)})", file=name)


def special_file(name: str) -> DatasetViolation:
    """An entry that is neither file, directory nor link (a device or FIFO): unsafe to extract."""
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


@dataclass(frozen=True)
class EntryRules:
    """The schema's entry rules compiled for speed (a few hundred ns per entry instead of ~17 µs)."""

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


def manifest_entry(entry: Entry) -> dict[str, Any]:
    """An entry as the manifest schema describes it."""
    return {"name": entry.name, "kind": entry.kind, "size": entry.size, "extension": file_extension(entry.name)}


def manifest_violations(manifest: Mapping[str, Any], limits: MethodLimits) -> list[DatasetViolation]:
    """Every violation jsonschema finds in a manifest (entries included), mapped to the report's codes."""
    validator = jsonschema.Draft202012Validator(dataset_schema(limits))
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


# The report


@dataclass(frozen=True)
class DatasetReport:
    """The result of a dataset check: CLI.md's dataset report."""

    path: str
    format: str
    size_bytes: int
    files: int
    total_uncompressed_bytes: int
    violations: tuple[DatasetViolation, ...]

    @property
    def ok(self) -> bool:
        """True when the dataset meets every requirement."""
        return not self.violations

    def to_dict(self) -> dict[str, Any]:
        """The JSON dataset report of CLI.md."""
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
        """Human text: a YAML summary in snet-cli's style when ok, else `Dataset check failed:` and one tab-indented line per violation."""
        if not self.ok:
            return "\n".join(["Dataset check failed:", *("\t" + violation.message for violation in self.violations)])
        facts = self.to_dict()
        del facts["violations"]
        return render.to_yaml(facts)


def check_dataset(path: str, limits: MethodLimits) -> DatasetReport:
    """Check the dataset at PATH (an archive or a directory) against LIMITS; DatasetPathError when PATH cannot be read."""
    schema = dataset_schema(limits)
    rules = EntryRules.from_schema(schema)
    dataset = open_dataset(path, limits.dataset_type)
    entry_violations: list[DatasetViolation] = []
    files = total = 0
    corruption: list[DatasetViolation] = []
    try:
        for name, size, kind in dataset.entries():
            entry_violations.extend(rules.check(name, size, kind))
            if kind == FILE:
                files += 1
                total += size
    except CorruptArchive as exc:
        corruption.append(corrupt_archive(str(exc)))
    facts: dict[str, Any] = {"size_bytes": dataset.size_bytes, "files": files}
    if dataset.format != UNKNOWN_FORMAT:
        facts["format"] = dataset.format
    dataset_violations = [
        violation
        for violation in manifest_violations(facts, limits)
        if not (corruption and violation.code == "empty_dataset")
    ]
    return DatasetReport(
        path=path,
        format=dataset.format,
        size_bytes=dataset.size_bytes,
        files=files,
        total_uncompressed_bytes=total,
        violations=tuple(_ordered(dataset_violations) + corruption + entry_violations),
    )


_DATASET_ORDER = ("wrong_dataset_type", "dataset_too_big", "too_many_files", "empty_dataset")


def _ordered(violations: list[DatasetViolation]) -> list[DatasetViolation]:
    return sorted(violations, key=lambda violation: _DATASET_ORDER.index(violation.code))

