"""The one place that runs a `snet training` subcommand: output, errors and exit codes.

snet-cli calls `Runner(config, args).run()`. The subcommand's handler returns an `Outcome`;
this module prints it (JSON or text) and exits with its status. Every error of the plugin
becomes `ERROR: <message>` on stderr with its exit code; Ctrl-C exits 130 without a traceback.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from collections.abc import Callable

from snet_cli_training.errors import ExitStatus, TrainingError


@dataclasses.dataclass
class Outcome:
    """What a handler produced: the JSON document, its human text, and the exit status."""

    document: Any
    text: str | Callable[[], str]
    status: ExitStatus = ExitStatus.OK

    @classmethod
    def structured(cls, document: Any, status: ExitStatus = ExitStatus.OK) -> Outcome:
        """A result whose human text is the document itself in snet-cli's YAML style."""
        from snet_cli_training import render

        return cls(document, lambda: render.to_yaml(document), status)

    def human_text(self) -> str:
        return self.text() if callable(self.text) else self.text


class Runner:
    """snet-cli's command protocol: constructed with (config, args), then `run` is called."""

    def __init__(self, config: Any, args: Any, out_f: Any = None, err_f: Any = None) -> None:
        from snet_cli_training import environment

        self.config = config
        self.args = args
        self.env = environment.from_snet_config(config)
        if out_f is not None:
            self.env.stdout = out_f
        if err_f is not None:
            self.env.stderr = err_f

    def run(self) -> None:
        """Run the handler named by the parser and exit with CLI.md's code."""
        status = self.execute()
        if status != ExitStatus.OK:
            raise SystemExit(int(status))

    def execute(self) -> ExitStatus:
        """Run the handler; return the exit status instead of exiting (for in-process callers)."""
        import warnings

        # ipfshttpclient (under snet-cli) warns about urllib3 on every run; it is not the user's concern.
        warnings.filterwarnings("ignore", category=FutureWarning, module="urllib3")
        try:
            outcome = self._handler()(self)
            self._emit(outcome)
            return outcome.status
        except TrainingError as exc:
            self._error(str(exc))
            document = getattr(exc, "document", None)
            if document is not None and self.json:  # CLI.md: exit 6 still prints the unpaid quote
                self._emit(Outcome(document, ""))
            return exc.exit_status
        except KeyboardInterrupt:
            self._error("interrupted")
            return ExitStatus.INTERRUPTED
        except BrokenPipeError:
            return ExitStatus.ERROR
        except Exception as exc:  # noqa: BLE001 -- the last line of defence: a bug must still not print a traceback
            if getattr(self.args, "print_traceback", False):
                raise
            self._error(f"internal error: {type(exc).__name__}: {exc} (run `snet --print-traceback training ...` for details)")
            return ExitStatus.ERROR

    def _handler(self) -> Callable[[Runner], Outcome]:
        from snet_cli_training import commands

        return getattr(commands, self.args.training_handler)

    @property
    def json(self) -> bool:
        return bool(getattr(self.args, "json", False))

    def _emit(self, outcome: Outcome) -> None:
        from snet_cli_training import render

        text = render.to_json(outcome.document) if self.json else outcome.human_text()
        if text:
            self.env.stdout.write(text + "\n")
        self.env.stdout.flush()

    def _error(self, message: str) -> None:
        try:
            self.env.stderr.write(f"ERROR: {message}\n")
            self.env.stderr.flush()
        except (OSError, ValueError):
            pass

