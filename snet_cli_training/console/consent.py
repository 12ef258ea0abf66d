"""The one place that decides whether to ask the user, and what no answer means (the confirmation rule).

`-y` is consent; otherwise the question needs a terminal (stdin and stderr TTYs) and a yes;
without a terminal nothing is done (exit 6). See docs/commands.md#confirmation-rule.
"""

from __future__ import annotations

from snet_cli_training.console.streams import Console
from snet_cli_training.errors import NotConfirmed


def require_consent(console: Console, question: str, *, yes: bool, what: str, document: object = None) -> None:
    """Go ahead with `yes`; ask on a terminal; otherwise refuse with NotConfirmed carrying `document`.

    `what` names the action for the messages ("pay", "delete", "send the transaction").
    """
    if yes:
        return
    if not console.is_terminal():
        raise NotConfirmed(f"nothing done: no terminal to confirm on; pass -y/--yes to {what} without asking", document)
    if not console.ask(question):
        raise NotConfirmed(f"nothing done: you did not confirm ({what})", document)
