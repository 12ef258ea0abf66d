"""`call`'s PARAMS: read as a JSON object (or a file holding one) and checked against the request message.

Each mistake is one sentence naming it: JSON that does not parse (with line and column), a file
that does not exist, a JSON value that is not an object, a field the request does not have (with
the fields it has), a value of the wrong type (with the type the field takes). The check runs
before anything is paid.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor

from snet_cli_training.console.render import not_found
from snet_cli_training import errors, safejson
from snet_cli_training.console.render import clip

# How each protobuf scalar type is written in PARAMS, and the Python values snet-cli's call accepts for it.
_INTEGERS = {FieldDescriptor.TYPE_INT32: 32, FieldDescriptor.TYPE_SINT32: 32, FieldDescriptor.TYPE_SFIXED32: 32,
             FieldDescriptor.TYPE_INT64: 64, FieldDescriptor.TYPE_SINT64: 64, FieldDescriptor.TYPE_SFIXED64: 64}
_UNSIGNED = {FieldDescriptor.TYPE_UINT32: 32, FieldDescriptor.TYPE_FIXED32: 32,
             FieldDescriptor.TYPE_UINT64: 64, FieldDescriptor.TYPE_FIXED64: 64}
_JSON_NAMES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null",
               bytes: "bytes"}


def read_params(text: str) -> dict:
    """PARAMS: a JSON object, or the path of a file holding one (stdin is never read)."""
    if text == "-":
        raise errors.UserInputError("PARAMS must be a JSON object or a file holding one (stdin is not read)")
    source = Path(text)
    where = "PARAMS"
    depth = safejson.nesting_depth(text)
    if depth > safejson.MAX_DEPTH:
        raise errors.UserInputError(f"PARAMS nests {depth} levels deep: not a request (at most {safejson.MAX_DEPTH})")
    if not text.lstrip().startswith("{"):
        if not _is_file(source):
            if _parses(text):
                raise errors.UserInputError(f"PARAMS must be a JSON object, not {_json_name(safejson.loads(text))}")
            raise errors.UserInputError(not_found("PARAMS file", text, "PARAMS is a JSON object or a file holding one"))
        try:
            text = source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise errors.UserInputError(f"cannot read PARAMS file {clip(str(source))}: "
                                        f"{getattr(exc, 'strerror', None) or exc}") from None
        where = f"PARAMS file {clip(str(source))}"
    try:
        params = safejson.loads(text)
    except safejson.TooDeep as exc:
        raise errors.UserInputError(f"{where} is nested too deeply to be a request: {exc}") from None
    except json.JSONDecodeError as exc:
        raise errors.UserInputError(f"{where} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(params, dict):
        raise errors.UserInputError(f"{where} must hold a JSON object, not {_json_name(params)}")
    return params


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # a name too long for the OS, or holding a NUL, names no file
        return False


def _parses(text: str) -> bool:
    try:
        safejson.loads(text)
    except ValueError:
        return False
    return True


def _json_name(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"the number {clip(repr(value), 40)}"
    return _JSON_NAMES.get(type(value), type(value).__name__)


def request_mistake(message: Descriptor, params: dict, skip: str = "", prefix: str = "") -> str | None:
    """What is wrong with PARAMS as the request MESSAGE (field `skip` left to the caller), or None when it fits."""
    for name, value in params.items():
        field = message.fields_by_name.get(name)
        if field is None or name == skip:
            fields = ", ".join(f.name for f in message.fields if f.name != skip) or "none"
            return f"PARAMS field {prefix + clip(name)!r} is not in {message.full_name}; its fields: {fields}"
        mistake = _field_mistake(field, value, f"{prefix}{name}")
        if mistake:
            return mistake
    return None


def _field_mistake(field: FieldDescriptor, value: Any, path: str) -> str | None:
    if value is None:
        return None
    if _is_map(field):
        if not isinstance(value, dict):
            return _wrong(path, "an object (a map)", value)
        value_field = field.message_type.fields_by_name["value"]
        return next((m for key, item in value.items() if (m := _field_mistake(value_field, item, f"{path}.{key}"))), None)
    if field.is_repeated:
        if not isinstance(value, list):
            return _wrong(path, f"an array of {_expected(field)}", value)
        return next((m for i, item in enumerate(value) if (m := _single_mistake(field, item, f"{path}[{i}]"))), None)
    return _single_mistake(field, value, path)


def _single_mistake(field: FieldDescriptor, value: Any, path: str) -> str | None:
    kind = field.type
    if kind == FieldDescriptor.TYPE_MESSAGE:
        if not isinstance(value, dict):
            return _wrong(path, _expected(field), value)
        return request_mistake(field.message_type, value, prefix=f"{path}.")
    if kind == FieldDescriptor.TYPE_ENUM:
        names = [v.name for v in field.enum_type.values]
        numbers = {v.number for v in field.enum_type.values}
        if not (value in names if isinstance(value, str) else _is_int(value) and value in numbers):
            return _wrong(path, _expected(field), value)
        return None
    if kind in _INTEGERS or kind in _UNSIGNED:
        low, high = _integer_range(kind)
        if not _is_int(value) or not low <= value <= high:
            return _wrong(path, _expected(field), value)
        return None
    accepted = {FieldDescriptor.TYPE_STRING: (str,), FieldDescriptor.TYPE_BOOL: (bool,),
                FieldDescriptor.TYPE_BYTES: (bytes,), FieldDescriptor.TYPE_DOUBLE: (int, float),
                FieldDescriptor.TYPE_FLOAT: (int, float)}.get(kind, (object,))
    if not isinstance(value, accepted) or (accepted == (int, float) and isinstance(value, bool)):
        return _wrong(path, _expected(field), value)
    return None


def _expected(field: FieldDescriptor) -> str:
    kind = field.type
    if kind == FieldDescriptor.TYPE_MESSAGE:
        return f"an object ({field.message_type.full_name})"
    if kind == FieldDescriptor.TYPE_ENUM:
        return "one of " + ", ".join(v.name for v in field.enum_type.values)
    if kind in _INTEGERS or kind in _UNSIGNED:
        low, high = _integer_range(kind)
        return f"a whole number from {low} to {high}"
    return {FieldDescriptor.TYPE_STRING: "a string", FieldDescriptor.TYPE_BOOL: "true or false",
            FieldDescriptor.TYPE_BYTES: "bytes (write the key as b64decode@NAME with base64 text, or file@NAME with a path)",
            FieldDescriptor.TYPE_DOUBLE: "a number", FieldDescriptor.TYPE_FLOAT: "a number"}.get(kind, "another type")


def _integer_range(kind: int) -> tuple[int, int]:
    if kind in _UNSIGNED:
        return 0, 2 ** _UNSIGNED[kind] - 1
    bits = _INTEGERS[kind]
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_map(field: FieldDescriptor) -> bool:
    return field.type == FieldDescriptor.TYPE_MESSAGE and field.is_repeated and field.message_type.GetOptions().map_entry


def _wrong(path: str, expected: str, value: Any) -> str:
    return f"PARAMS field {path!r} must be {expected}, not {_json_name(value)}"
