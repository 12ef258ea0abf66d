"""A doctor report: checks that are `ok`, `warn` or `fail`, each with a one-line reason and, unless ok, a fix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

OK, WARN, FAIL = "ok", "warn", "fail"


@dataclass(frozen=True)
class Check:
    """One line of the report (docs/commands.md#doctor)."""

    name: str
    status: str
    message: str
    fix: str = ""

    def __post_init__(self) -> None:
        if self.status not in (OK, WARN, FAIL):
            raise ValueError(f"unknown check status {self.status!r}")


def ok(name: str, message: str) -> Check:
    return Check(name, OK, message)


def warn(name: str, message: str, fix: str) -> Check:
    return Check(name, WARN, message, fix)


def fail(name: str, message: str, fix: str) -> Check:
    return Check(name, FAIL, message, fix)


def not_checked(name: str, needs: str) -> Check:
    """A check that could not run because an earlier one failed."""
    return Check(name, WARN, f"not checked (the {needs} check failed)", f"fix the {needs} check first")


def passed(checks: Sequence[Check]) -> bool:
    """Nothing failed (warnings are fine)."""
    return all(check.status != FAIL for check in checks)


def document(checks: Sequence[Check]) -> dict:
    """`{"ok": bool, "checks": [{"name", "status", "message", "fix"}]}`."""
    return {"ok": passed(checks), "checks": [asdict(check) for check in checks]}


def text(checks: Sequence[Check]) -> str:
    """One check per line: status, name, reason, and the fix when there is one."""
    width = max((len(check.name) for check in checks), default=0)
    lines = []
    for check in checks:
        fix = f" -- fix: {check.fix}" if check.fix else ""
        lines.append(f"{check.status:<4}  {check.name:<{width}}  {check.message}{fix}")
    verdict = "nothing fails" if passed(checks) else f"{sum(c.status == FAIL for c in checks)} check(s) fail"
    return "\n".join([*lines, verdict])
