"""Option combinations argparse cannot declare, checked right after a subcommand is parsed.

A check takes the parsed namespace and returns a message in argparse's own words, or None; the
subcommand's parser reports it through its `error` (usage, message, exit 2), exactly as it
reports a mistake argparse finds itself. Each subcommand lists its checks when it is defined.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

Check = Callable[[argparse.Namespace], "str | None"]


def checked_parser_class(base: type[argparse.ArgumentParser]) -> type[argparse.ArgumentParser]:
    """BASE (snet-cli's parser class, or argparse's) with the checks of `set_checks` run after parsing."""

    class CheckedParser(base):  # type: ignore[misc, valid-type]
        checks: tuple[Check, ...] = ()

        def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
            parsed, extras = super().parse_known_args(args, namespace)
            for check in self.checks:
                message = check(parsed)
                if message:
                    self.error(message)
            return parsed, extras

    return CheckedParser


def set_checks(parser: argparse.ArgumentParser, *checks: Check) -> None:
    """Run CHECKS on what PARSER parses (in this order; the first message wins)."""
    parser.checks = (*getattr(parser, "checks", ()), *checks)  # type: ignore[attr-defined]


def _given(namespace: argparse.Namespace, dest: str) -> bool:
    value = getattr(namespace, dest, None)
    return not (value is None or value is False or (isinstance(value, (list, tuple)) and not value))  # 0 is given


def exclusive(*options: tuple[str, Sequence[str]], required: bool = False) -> Check:
    """At most one of OPTIONS (label, dests) given (exactly one when REQUIRED)."""
    def check(namespace: argparse.Namespace) -> str | None:
        given = [label for label, dests in options if any(_given(namespace, dest) for dest in dests)]
        if len(given) > 1:
            return f"argument {given[1]}: not allowed with argument {given[0]}"
        if required and not given:
            return f"one of {_alternatives([label for label, _ in options])} is required"
        return None

    return check


def together(*options: tuple[str, str]) -> Check:
    """OPTIONS (label, dest) are given all or none."""
    def check(namespace: argparse.Namespace) -> str | None:
        given = [label for label, dest in options if _given(namespace, dest)]
        missing = [label for label, dest in options if not _given(namespace, dest)]
        if given and missing:
            return f"argument {given[0]}: needs {' and '.join(missing)}"
        return None

    return check


def needs(option: tuple[str, str], other: tuple[str, str], why: str = "") -> Check:
    """OPTION (label, dest) is given only with OTHER."""
    def check(namespace: argparse.Namespace) -> str | None:
        if _given(namespace, option[1]) and not _given(namespace, other[1]):
            return f"argument {option[0]}: needs {other[0]}" + (f" ({why})" if why else "")
        return None

    return check


def at_least_one(*options: tuple[str, str]) -> Check:
    """At least one of OPTIONS (label, dest) given."""
    def check(namespace: argparse.Namespace) -> str | None:
        if not any(_given(namespace, dest) for _, dest in options):
            return f"one of {_alternatives([label for label, _ in options])} is required"
        return None

    return check


def counted(label: str, dest: str, allowed: Sequence[int]) -> Check:
    """The positional DEST takes one of the ALLOWED numbers of values."""
    def check(namespace: argparse.Namespace) -> str | None:
        if len(getattr(namespace, dest, None) or ()) not in allowed:
            return f"argument {label}: takes {_alternatives([str(n) for n in allowed])} values"
        return None

    return check


def when(label: str, condition: Callable[[argparse.Namespace], bool], message: str) -> Check:
    """A rule of one subcommand: MESSAGE (about LABEL) when CONDITION holds."""
    def check(namespace: argparse.Namespace) -> str | None:
        return f"argument {label}: {message}" if condition(namespace) else None

    return check


def _alternatives(labels: list[str]) -> str:
    return f"{', '.join(labels[:-1])} or {labels[-1]}" if len(labels) > 1 else labels[0]
