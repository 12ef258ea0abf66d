"""`Outcome`: what a handler produced — the JSON document, its human text, and the exit status."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from snet_cli_training.console import render
from snet_cli_training.errors import ExitStatus


@dataclasses.dataclass
class Outcome:
    """Printed once by the dispatcher: `document` with --json, else `text`; then exit with `status`."""

    document: Any
    text: str | Callable[[], str]
    status: ExitStatus = ExitStatus.OK
    # Run once the outcome is printed (a paid command records that its payment was reported).
    settle: Callable[[], None] = lambda: None

    @classmethod
    def structured(cls, document: Any, status: ExitStatus = ExitStatus.OK, settle: Callable[[], None] | None = None
                   ) -> Outcome:
        """A result whose human text is the document itself in snet-cli's YAML style."""
        return cls(document, lambda: render.to_yaml(document), status, settle or (lambda: None))

    def rendered(self, json: bool) -> str:
        """What goes on stdout: the document as JSON, or the human text."""
        if json:
            return render.to_json(self.document)
        return self.text() if callable(self.text) else self.text
