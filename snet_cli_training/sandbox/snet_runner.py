"""Running `snet ARGS` for the demo cheaply: in a fork of this process, which has snet-cli imported already.

A `snet` process spends about 1.2 s importing before it does anything, and the demo runs a dozen
commands. A fork starts from this process with snet-cli loaded and runs one command the way
snet-cli's `main` does, with HOME (and so the config folder) switched to the sandbox's first; its
output and exit code are the command's. Each command gets a fresh copy of this process, so nothing
one command leaves in memory reaches the next. Where this process's snet-cli parser has no
`training` group (the plugin hook is not armed), the fork runs the real `snet` executable instead.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import time
from pathlib import Path


def run(argv: list[str], env: dict[str, str], cwd: Path, timeout: float, snet: list[str]) -> tuple[int, str]:
    """(exit code, stdout and stderr as they interleaved) of `snet ARGV`; `snet` is the executable's command line."""
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child ends in os._exit, never returning here
        os.close(read_end)
        _child(argv, env, cwd, write_end, snet)
    os.close(write_end)
    try:
        output = _read_all(read_end, time.monotonic() + timeout)
        _, status = os.waitpid(pid, 0)
    except BaseException:
        _kill(pid)
        raise
    finally:
        os.close(read_end)
    return os.waitstatus_to_exitcode(status), output.decode("utf-8", "replace")


def _read_all(fd: int, deadline: float) -> bytes:
    chunks = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the command did not finish in time")
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _child(argv: list[str], env: dict[str, str], cwd: Path, output: int, snet: list[str]) -> None:
    code = 1
    try:
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        # This process's streams may be captured (tests): the command writes to the real descriptors.
        sys.stdin = open(0, closefd=False)  # noqa: SIM115 - lives as long as the child
        sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
        code = _snet_main(argv, snet)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except BaseException as exc:  # noqa: BLE001 - the child must always end here, with a code
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)


def _snet_main(argv: list[str], snet: list[str]) -> int:
    """What snet-cli's `main` does, with the config read from $HOME/.snet (its default was fixed at import)."""
    from snet.cli import arguments
    from snet.cli.config import Config

    config = Config(_snet_folder=Path(os.environ["HOME"]) / ".snet")
    parser = arguments.get_root_parser(config)
    if argv[:1] == ["training"] and not _has_command(parser, "training"):
        os.execve(snet[0], [*snet, *argv], os.environ)
    args = parser.parse_args(argv)
    try:
        getattr(args.cmd(config, args), args.fn)()
    except Exception as exc:  # noqa: BLE001 - snet-cli's main turns every error into this
        print("Error:", exc)
        print("If you want to see full Traceback then run:")
        print("snet --print-traceback [parameters]")
        return 42
    return 0


def _has_command(parser: object, name: str) -> bool:
    return any(name in (getattr(action, "choices", None) or ()) for action in getattr(parser, "_actions", ()))
