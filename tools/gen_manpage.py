"""Regenerate man/snet-training.1 from the argparse definitions: `python tools/gen_manpage.py`.

`--check` exits 1 when the committed page differs from the parser (the header's date aside).
"""

from __future__ import annotations

import pathlib
import sys

from argparse_manpage.manpage import Manpage

from snet_cli_training import __version__
from snet_cli_training.cli.arguments import standalone_parser

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGET = ROOT / "man" / "snet-training.1"


def render() -> str:
    """The man page text for the current parser."""
    data = {
        "prog": "snet training",
        "project_name": "snet-cli-training",
        "version": __version__,
        "description": "train your own models on SingularityNET services",
        "manual_title": "snet-cli-training manual",
    }
    return str(Manpage(standalone_parser(), _data=data))


def without_date(page: str) -> list[str]:
    """The page's lines with the `.TH` header (which carries the date) left out."""
    return [line for line in page.splitlines() if not line.startswith(".TH ")]


def main(argv: list[str]) -> int:
    page = render()
    if "--check" in argv:
        same = without_date(page) == without_date(TARGET.read_text(encoding="utf-8"))
        print("up to date" if same else f"{TARGET} differs from the parser: run python tools/gen_manpage.py")
        return 0 if same else 1
    TARGET.write_text(page, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
