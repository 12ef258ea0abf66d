"""Output formats: JSON documents and snet-cli's YAML text style (four-space indent); safe text for a terminal.

PyYAML loads when text is rendered, not when the plugin registers its commands.
"""

from __future__ import annotations

import json
import re
import textwrap
from typing import Any

# C0 and C1 controls, DEL, and the Unicode line and bidirectional controls: each can forge or hide
# a line on a terminal (a newline starts a fake report line, ESC starts an ANSI sequence).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
CLIP_CHARACTERS = 200


def to_json(document: Any, *, ascii_only: bool = False) -> str:
    """One JSON document, as `--json` prints it (`ascii_only` for a stream that cannot encode the rest)."""
    return json.dumps(document, indent=2, sort_keys=False, ensure_ascii=ascii_only)


def to_yaml(document: Any) -> str:
    """A structure in snet-cli's text style: YAML, block style, indented by four spaces, long values never wrapped."""
    import yaml

    text = yaml.safe_dump(document, default_flow_style=False, indent=4, sort_keys=False, allow_unicode=True,
                          width=float("inf"))
    return textwrap.indent(text, "    ").rstrip("\n")


def printable(text: str) -> str:
    """TEXT with its control characters written as escapes (`\\n`, `\\t`, `\\x1b`), so it stays one honest line."""
    return _CONTROL.sub(_escape, text)


def _escape(found: re.Match) -> str:
    character = found.group()
    code = ord(character)
    return _NAMED_ESCAPES.get(character) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def clip(text: str, limit: int = CLIP_CHARACTERS) -> str:
    """TEXT cut to LIMIT characters with `…` when longer: a message quotes an input, never repeats a huge one."""
    return text if len(text) <= limit else text[:limit] + "…"


def not_found(what: str, name: str, detail: str = "") -> str:
    """The one wording of everything missing: `<what> not found: <name>`, then why or where in brackets."""
    return f"{what} not found: {clip(name)}" + (f" ({detail})" if detail else "")


def address(text: str) -> str:
    """An Ethereum address as every output shows it: lower case, as the daemon stores and returns addresses."""
    return text.lower()
