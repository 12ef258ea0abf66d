"""The one place that runs a `snet training` subcommand: the handler, its output, errors and exit codes.

snet-cli calls `TrainingCommand(config, args).run()`. The Invocation is read from argparse once;
the handler named by the parser ("module:function" under snet_cli_training.commands) is imported
here, the one lazy import that keeps start-up light; its Outcome is printed (JSON or text) and
the process exits with its status. Every error of the plugin becomes `ERROR: <message>` on
stderr with its exit code; Ctrl-C exits 130 without a traceback (docs/commands.md#exit-codes).
"""

from __future__ import annotations

import contextlib
import importlib
import signal
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any

from snet_cli_training.commands.invocation import Invocation
from snet_cli_training.commands.outcome import Outcome
from snet_cli_training.console import render
from snet_cli_training.console.streams import Console, can_encode, write_text
from snet_cli_training.errors import ExitStatus, TrainingError

COMMANDS_PACKAGE = "snet_cli_training.commands"
# A message quotes each input clipped (render.clip); this bounds the whole line whatever it quotes.
ERROR_LINE_CHARACTERS = 1000


class TrainingCommand:
    """snet-cli's command protocol: constructed with (config, args), then `run` is called."""

    def __init__(self, config: Any, args: Any, out_f: Any = None, err_f: Any = None) -> None:
        self.invocation = Invocation.from_argparse(args, config, Console.for_snet_config(config))

    def run(self) -> None:
        """Run the handler and exit with its code (snet-cli's `main` passes SystemExit through)."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C is the plugin's to report from here
        status = execute(self.invocation)
        if status != ExitStatus.OK:
            raise SystemExit(int(status))


def handler(name: str) -> Callable[[Invocation], Outcome]:
    """The handler "module:function" of snet_cli_training.commands."""
    module, _, function = name.partition(":")
    return getattr(importlib.import_module(f"{COMMANDS_PACKAGE}.{module}"), function)


def execute(invocation: Invocation) -> ExitStatus:
    """Run the invocation's handler and print its outcome; return the exit status (in-process callers use this)."""
    # ipfshttpclient (under snet-cli) warns about urllib3 on every run; it is not the user's concern.
    warnings.filterwarnings("ignore", category=FutureWarning, module="urllib3")
    console = invocation.console
    try:
        outcome = handler(invocation.handler)(invocation)
        with _interrupts_ignored():
            _emit(invocation, outcome)
            _settle(console, outcome)
        return outcome.status
    except TrainingError as exc:
        _error(console, str(exc))
        document = getattr(exc, "document", None)
        if document is not None and invocation.json:  # exit 6 still prints the unpaid quote
            _emit(invocation, Outcome(document, ""))
        return exc.exit_status
    except KeyboardInterrupt:
        _error(console, invocation.progress.interruption())
        return ExitStatus.INTERRUPTED
    except BrokenPipeError:
        return ExitStatus.ERROR
    except Exception as exc:  # noqa: BLE001 -- the last line of defence: a bug must still not print a traceback
        if invocation.print_traceback:
            raise
        _error(console, f"internal error: {type(exc).__name__}: {exc} (run `snet --print-traceback training ...` for details)")
        return ExitStatus.ERROR


@contextlib.contextmanager
def _interrupts_ignored() -> Iterator[None]:
    """Ctrl-C cannot turn a printed outcome into a failure: while it is written and settled, SIGINT is ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, lambda _signum, _frame: None)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _settle(console: Console, outcome: Outcome) -> None:
    try:
        outcome.settle()
    except TrainingError as exc:
        console.warn(f"the result was printed, but it could not be recorded locally: {exc}")


def _emit(invocation: Invocation, outcome: Outcome) -> None:
    stdout = invocation.console.stdout
    text = outcome.rendered(invocation.json)
    if invocation.json and not can_encode(stdout, text):  # PYTHONIOENCODING=ascii: JSON's own escapes stay valid JSON
        text = render.to_json(outcome.document, ascii_only=True)
    if text:
        write_text(stdout, text + "\n")
    stdout.flush()


def error_line(message: str) -> str:
    """The one `ERROR:` line of MESSAGE: control characters escaped, an overlong message cut (it quotes inputs)."""
    return f"ERROR: {render.printable(render.clip(message, ERROR_LINE_CHARACTERS))}"


def _error(console: Console, message: str) -> None:
    try:
        write_text(console.stderr, error_line(message) + "\n")
        console.stderr.flush()
    except (OSError, ValueError):
        pass
