"""The one place that decides whether to ask the user, and what no answer means (CLI.md's confirmation rule)."""

from __future__ import annotations

from snet_cli_training.environment import Environment
from snet_cli_training.errors import NotConfirmed


def require_consent(env: Environment, question: str, *, yes: bool, what: str) -> None:
    """Go ahead with -y; ask on a terminal (stdin and stderr TTYs); otherwise refuse (exit 6).

    `what` names the action for the messages ("pay", "delete", "open a channel").
    """
    if yes:
        return
    if not env.is_terminal():
        raise NotConfirmed(f"nothing done: no terminal to confirm on; pass -y/--yes to {what} without asking")
    if not env.ask(question):
        raise NotConfirmed(f"nothing done: you did not confirm ({what})")
