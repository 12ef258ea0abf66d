"""Running `snet training ...` in-process, the way httpie's tests run its `main()` with a MockEnvironment.

The command line is parsed by the plugin's own parser, the Invocation gets an injected Console
(stdin, stdout, stderr, terminal or not, clock, sleep) and the HOME's snet-cli Config, and the
dispatcher runs it; nothing is started, so a command costs milliseconds instead of the ~1.5 s
of a `snet` process. Subprocess runs of the real executable stay for what only it can show.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import pathlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from snet_cli_training.cli import dispatch
from snet_cli_training.cli.arguments import root_parser
from snet_cli_training.commands.invocation import Invocation
from snet_cli_training.console.streams import Console
from snet_cli_training.errors import ExitStatus


class Terminal(io.StringIO):
    """A stream that says it is a TTY."""

    def isatty(self) -> bool:
        return True


@dataclass
class Result:
    """What one in-process command did."""

    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@contextlib.contextmanager
def home_environment(home: pathlib.Path) -> Iterator[None]:
    """HOME set to `home` for the command: snet-cli finds its caches through Path.home()."""
    saved = os.environ.get("HOME")
    os.environ["HOME"] = str(home)
    try:
        yield
    finally:
        if saved is None:
            del os.environ["HOME"]
        else:
            os.environ["HOME"] = saved


@functools.cache
def _training_parser() -> Any:
    """The plugin's parser, built once: parsing does not change it."""
    return root_parser()


def stock_snet(home: str | pathlib.Path, *args: str) -> Result:
    """Stock snet-cli's command ARGS (`account balance`, `client call ...`) run in this process, as HOME's identity.

    snet-cli's own parser and command classes, as `snet` runs them, without a process start; for the
    network's own checks. A command that raises is a returncode of 1 with the error on stderr.
    """
    from snet.cli import arguments
    from snet.cli.config import Config

    home = pathlib.Path(home)
    out, err = io.StringIO(), io.StringIO()
    with home_environment(home), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        config = Config(_snet_folder=home / ".snet")
        try:
            parsed = arguments.get_root_parser(config).parse_args(list(args))
            getattr(parsed.cmd(config, parsed, out, err), parsed.fn)()
        except SystemExit as exit_:
            return Result(int(exit_.code or 0), out.getvalue(), err.getvalue())
        except Exception as exc:  # noqa: BLE001 - as snet-cli's main reports it
            return Result(1, out.getvalue(), err.getvalue() + f"Error: {exc}\n")
    return Result(0, out.getvalue(), err.getvalue())


def run(home: str | pathlib.Path, *args: str, json_output: bool = True, stdin: str = "", terminal: bool = False,
        clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
        stdout: io.StringIO | None = None, stdin_stream: io.StringIO | None = None) -> Result:
    """`snet training ARGS [--json]` as HOME's identity, in this process; never raises for a refused command."""
    from snet.cli.config import Config

    home = pathlib.Path(home)
    argv = ["training", *args, *(["--json"] if json_output else [])]
    stream = Terminal if terminal else io.StringIO
    console = Console(stdin=stdin_stream or stream(stdin), stdout=stdout or io.StringIO(), stderr=stream(), snet_dir=home / ".snet",
                      clock=clock, sleep=sleep)
    with home_environment(home), contextlib.redirect_stdout(console.stderr):
        try:
            with contextlib.redirect_stderr(console.stderr):
                args_namespace = _training_parser().parse_args(argv)
        except SystemExit as exit_:
            return Result(int(exit_.code or 0), console.stdout.getvalue(), console.stderr.getvalue())
        config = Config(_snet_folder=home / ".snet")
        invocation = Invocation.from_argparse(args_namespace, config, console)
        status = dispatch.execute(invocation)
    return Result(int(status), console.stdout.getvalue(), console.stderr.getvalue())


def create_model(home: pathlib.Path, stack: Any, name: str, *extra: str) -> dict:
    """`create-model` on the stack's service, in-process; the new model."""
    return ok_json(run(home, "create-model", stack.org_id, stack.service_id, "--name", name, *extra))


def ok_json(result: Any) -> Any:
    """The JSON document of a command that succeeded (an in-process Result or a finished `snet` process)."""
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def failed(result: Any, code: int = ExitStatus.ERROR) -> str:
    """The stderr of a refused command (for exit 1: stdout empty, last line `ERROR: ...`)."""
    assert result.returncode == code, result.stdout + result.stderr
    if code == ExitStatus.ERROR:
        assert result.stdout == ""
        assert result.stderr.strip().splitlines()[-1].startswith("ERROR: "), result.stderr
    return result.stderr
