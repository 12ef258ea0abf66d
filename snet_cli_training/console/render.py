"""Output formats: JSON documents, snet-cli's YAML text style (four-space indent), aligned tables.

PyYAML loads when text is rendered, not when the plugin registers its commands.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any


def to_json(document: Any) -> str:
    """One JSON document, as `--json` prints it."""
    return json.dumps(document, indent=2, sort_keys=False, ensure_ascii=False)


def to_yaml(document: Any) -> str:
    """A structure in snet-cli's text style: YAML, block style, indented by four spaces."""
    import yaml

    text = yaml.safe_dump(document, default_flow_style=False, indent=4, sort_keys=False, allow_unicode=True)
    return textwrap.indent(text, "    ").rstrip("\n")


def table(rows: list[list[str]], headers: list[str]) -> str:
    """A plain aligned table (no borders), as for lists that read better in columns."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
             for line in [headers, *rows]]
    return "\n".join(lines)
