"""JSON text read with a nesting limit checked before the decoder recurses.

snet-cli imports py_ecc, which raises the recursion limit to 100,000; CPython's JSON decoder then
overflows the C stack (a segfault) on input nested about that deep. Every JSON the plugin reads
(--metadata files, call PARAMS, its own state files) goes through `loads`.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 200
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKET = re.compile(r"[\[\]{}]")


class TooDeep(ValueError):
    """The JSON nests deeper than MAX_DEPTH."""


def nesting_depth(text: str) -> int:
    """How deep arrays and objects nest in JSON text (brackets inside strings do not count)."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub("", text)):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def loads(text: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """json.loads, refusing (TooDeep, a ValueError) input nested deeper than `max_depth`."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    depth = nesting_depth(text)
    if depth > max_depth:
        raise TooDeep(f"it nests {depth} levels deep (at most {max_depth} are read)")
    return json.loads(text)
