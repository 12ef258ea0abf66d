"""Method metadata -> dataset limits -> the JSON Schema a dataset manifest must satisfy.

Also the two batch tests the fast check relies on (`names_may_be_unsafe`,
`extensions_all_allowed`): they sit next to the rules they mirror, and a property test holds
them to the JSON-Schema path.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from snet_cli_training.dataset.entries import FILE
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


def names_may_be_unsafe(joined: str) -> bool:
    """Whether a name in JOINED (names, each between two "\\n") might match UNSAFE_NAME_PATTERN; False is certain.

    A match needs an empty name, a leading / or \\, a colon (a drive letter) or `..`: one
    substring search each over the whole batch instead of the pattern on every name.
    """
    return ".." in joined or ":" in joined or "\n/" in joined or "\n\\" in joined or "\n\n" in joined


_COMPOUND_TAILS = frozenset(compound.rsplit(".", 1)[1] for compound in _COMPOUND_EXTENSIONS)


def extensions_all_allowed(joined_lower: str, count: int, allowed: Collection[str]) -> bool:
    """Whether file_extension(name) is in ALLOWED for each of the COUNT names in JOINED_LOWER; False means "not sure".

    JOINED_LOWER is the names lower-cased, each between two "\\n". A name's extension is
    EXT when the name ends with `.EXT` after a character that is neither a dot nor a separator,
    and EXT has no dot, separator or newline and is not the tail of a compound (gz, bz2, xz):
    counting those endings over the whole batch decides it when no name holds a newline.
    """
    simple = {ext for ext in allowed if ext and not set(ext) & set("./\\\n") and ext not in _COMPOUND_TAILS}
    if not simple or joined_lower.count("\n") != count + 1:
        return False
    if sum(joined_lower.count(f".{ext}\n") for ext in simple) != count:
        return False
    # `.txt` or `a/..txt` end with `.txt` but have no extension.
    return not any(f"{before}.{ext}\n" in joined_lower for ext in simple for before in "./\\\n")
