"""Regenerate man/snet-training.1 from the argparse definitions: `python tools/gen_manpage.py`.

`--check` exits 1 when the committed page differs from the parser (the header's date aside).
Besides the parser's commands and options, the page has EXIT STATUS (from the exit codes),
FILES, ENVIRONMENT and EXAMPLES (every subcommand's --help examples).
"""

from __future__ import annotations

import pathlib
import sys

from argparse_manpage.manpage import Manpage

from snet_cli_training import __version__
from snet_cli_training.cli.arguments import standalone_parser
from snet_cli_training.cli.examples import EXAMPLES
from snet_cli_training.errors import EXIT_MEANINGS

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGET = ROOT / "man" / "snet-training.1"
PAGE_NAME = "snet-training"

FILES = (
    ("~/.snet/config", "snet-cli's configuration: networks, identities, the session (written by snet-cli)"),
    ("~/.snet/training/models.json", "the local model store: where each model this machine has seen lives, and its last status"),
    ("~/.snet/training/signatures.json", "cached authorization signatures of read-only calls (never payment signatures)"),
    ("~/.snet/training/payments.json",
     "the payment journal: each payment signed on this machine and its outcome, so that a rerun never pays twice"),
    ("~/.snet/mpe_client/", "snet-cli's caches of service metadata, proto files and payment channels"),
)
ENVIRONMENT = (
    ("HOME", "snet-cli's folder, and the plugin's files in it, are under $HOME/.snet"),
    ("PYTHONIOENCODING", "the output encoding; characters it cannot hold are written as escapes (JSON as \\uXXXX)"),
    ("HTTPS_PROXY, HTTP_PROXY, NO_PROXY", "honoured by the Ethereum and IPFS clients and by gRPC"),
)


def _roff(text: str) -> str:
    """TEXT safe in a roff line: backslashes and hyphens escaped, no line starting with a control character."""
    escaped = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + escaped if escaped[:1] in (".", "'") else escaped


def _items(pairs: tuple[tuple[str, str], ...]) -> str:
    return "\n".join(f".TP\n.B {_roff(name)}\n{_roff(meaning)}" for name, meaning in pairs)


def _examples() -> str:
    blocks = []
    for command, examples in EXAMPLES.items():
        lines = "\n".join(f"# {what}\n{line}" for what, line in examples)
        blocks.append(f".SS {_roff(command)}\n.nf\n{_roff(lines)}\n.fi")
    return "\n".join(blocks)


def render() -> str:
    """The man page text for the current parser."""
    data = {
        "prog": "snet training",
        "project_name": "snet-cli-training",
        "version": __version__,
        "description": "train your own models on SingularityNET services",
        "manual_title": "snet-cli-training manual",
    }
    parser = standalone_parser()
    parser.epilog = None  # its exit codes are the EXIT STATUS section here
    page = Manpage(parser, _data=data)
    page.prog = PAGE_NAME  # the page's title and NAME: `man snet-training`; the commands keep `snet training`
    page.add_section("EXIT STATUS", "=", _items(tuple((str(int(code)), meaning) for code, meaning in EXIT_MEANINGS.items())))
    page.add_section("FILES", "=", _items(FILES))
    page.add_section("ENVIRONMENT", "=", _items(ENVIRONMENT))
    page.add_section("EXAMPLES", "=", _examples())
    return str(page)


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
