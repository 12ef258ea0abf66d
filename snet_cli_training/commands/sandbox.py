"""`sandbox up | down | status | reset | shell | run -- CMD... | demo`: a local SingularityNET network to try and test on.

The one module of the plugin that imports the sandbox (snet_cli_training.sandbox), and only its
public entry points: `lifecycle` (the Sandbox and its options), `demo`, `errors`. The sandbox
lives in a private folder under snet-cli's config directory (~/.snet/training/sandbox/), with
an snet-cli HOME of its own, so the user's ~/.snet/config, identities and channels are never
read or written by it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

from snet_cli_training import errors
from snet_cli_training.commands.invocation import Invocation
from snet_cli_training.commands.outcome import Outcome
from snet_cli_training.console import render
from snet_cli_training.sandbox import demo as demo_flow
from snet_cli_training.sandbox.errors import SandboxError
from snet_cli_training.sandbox.lifecycle import Sandbox, current, request_for

EXTRA = "pip install 'snet-cli-training[sandbox]'"
PROMPT = "(snet-sandbox) "


@contextlib.contextmanager
def _reported() -> Iterator[None]:
    try:
        yield
    except SandboxError as exc:
        raise errors.TrainingError(str(exc)) from None


def _require_extra() -> None:
    """The local chain runs on eth-tester with py-evm (the `sandbox` extra); say so before starting anything."""
    if importlib.util.find_spec("eth_tester") is None or importlib.util.find_spec("eth") is None:
        raise errors.ConfigurationError(f"the sandbox needs eth-tester with py-evm, which is not installed: {EXTRA}")


def _sandbox(inv: Invocation) -> Sandbox:
    return current(inv.console.training_dir / "sandbox")


def _started(document: dict, seconds: float, already: bool) -> str:
    """The text of `up`: what is running and how to use it."""
    service, client = document["service"], document["identities"]["client"]
    head = (f"The sandbox is already up (since {document['since']})." if already else
            f"The sandbox is up ({seconds:.1f} s): a local SingularityNET network, no real money.")
    rows = [["chain", document["endpoints"]["chain"]], ["ipfs", document["endpoints"]["ipfs"]],
            ["daemon", f"{document['endpoints']['daemon']} (a simulator that enforces snet-daemon's rules; not snet-daemon)"],
            ["service", f"{service['org_id']} {service['service_id']} (group {service['group_name']}, "
                        f"answered by {service['provider']})"],
            ["client", f"{client['address']}, funded, with a channel; snet-cli HOME {client['home']}"]]
    lines = [head, *(f"    {name + ':':9}{value}" for name, value in rows), "Use it:"]
    lines += [f"    snet training sandbox {line}" for line in (
        "shell                # your shell, with snet acting in the sandbox",
        f"run -- snet training metadata {service['org_id']} {service['service_id']}",
        "status               # endpoints, block, models, payments",
        "down                 # stop it")]
    return "\n".join(lines)


def up(inv: Invocation) -> Outcome:
    """`sandbox up [--provider HOST:PORT --proto-dir DIR] [--daemon-behaviour NAME]`."""
    _require_extra()
    options = inv.sandbox
    with _reported():
        sandbox = _sandbox(inv)
        request = request_for(options.provider, options.proto_dir, options.daemon_behaviour)
        if sandbox.condition()[0] != "up":
            inv.console.say("Starting the sandbox ...")
        started = sandbox.up(request)
        document = sandbox.status()
    document.update(already_up=started.already, up_seconds=round(started.seconds, 2))
    return Outcome(document, _started(document, started.seconds, started.already))


def down(inv: Invocation) -> Outcome:
    """`sandbox down`: every process it started, stopped by PID."""
    with _reported():
        stopped = _sandbox(inv).down()
    text = (f"The sandbox is down: stopped {len(stopped)} processes ({', '.join(map(str, stopped))})." if stopped
            else "The sandbox was not running; nothing to stop.")
    return Outcome({"status": "down", "stopped_pids": stopped}, text)


def status(inv: Invocation) -> Outcome:
    """`sandbox status`."""
    with _reported():
        document = _sandbox(inv).status()
    return Outcome.structured(document)


def reset(inv: Invocation) -> Outcome:
    """`sandbox reset`: down, then up with the options it had (or the defaults)."""
    _require_extra()
    with _reported():
        sandbox = _sandbox(inv)
        request = sandbox.folder.read(sandbox.folder.request_file) or request_for()
        stopped = sandbox.down()
        started = sandbox.up(request)
        document = sandbox.status()
    document.update(stopped_pids=stopped, up_seconds=round(started.seconds, 2))
    return Outcome(document, f"Stopped {len(stopped)} processes.\n" + _started(document, started.seconds, False))


def _foreground(argv: list[str], env: dict[str, str], inv: Invocation) -> int:
    """Run `argv` in the foreground and return its exit code (126/127 as a shell does when it cannot run)."""
    # Ctrl-C belongs to the command: this process only waits for it.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return subprocess.call(argv, env=env)
    except FileNotFoundError:
        inv.console.say(f"ERROR: command not found: {argv[0]}")
        return 127
    except PermissionError:
        inv.console.say(f"ERROR: cannot run {argv[0]}: permission denied")
        return 126
    finally:
        signal.signal(signal.SIGINT, previous)


def run(inv: Invocation) -> Outcome:
    """`sandbox run -- CMD...`: the command with the sandbox's HOME; its exit code is this command's."""
    command = list(inv.sandbox.command)
    with _reported():
        sandbox = _sandbox(inv)
        client = sandbox.client()
        env = sandbox.env(dict(os.environ), client)
    inv.console.say(f"[sandbox] {shlex.join(command)}  (as {client['address']}, HOME={client['home']})")
    code = _foreground(command, env, inv)
    return Outcome({"command": command, "exit_code": code}, "", code)


def shell(inv: Invocation) -> Outcome:
    """`sandbox shell`: the user's shell with the sandbox's HOME and a prompt that says so."""
    with _reported():
        sandbox = _sandbox(inv)
        client = sandbox.client()
        env = sandbox.env(dict(os.environ), client)
    program = os.environ.get("SHELL") or "/bin/sh"
    env["PS1"] = PROMPT + "$ "
    argv = [program]
    if os.path.basename(program) == "bash":
        # bash would take its prompt from a ~/.bashrc; the sandbox's HOME has none, so give it one line.
        rcfile = sandbox.path / "bashrc"
        rcfile.write_text(f"PS1='{PROMPT}\\w \\$ '\n", encoding="utf-8")
        argv += ["--rcfile", str(rcfile)]
    inv.console.say(f"You are in the snet training sandbox: every `snet ...` command acts as its client "
                    f"{client['address']} (HOME={client['home']}). Type `exit` to leave.")
    code = _foreground(argv, env, inv)
    inv.console.say("Left the sandbox shell (the sandbox is still up: `snet training sandbox down` stops it).")
    return Outcome({"shell": program, "exit_code": code}, "", code)


def demo(inv: Invocation) -> Outcome:
    """`sandbox demo [--keep]`: the training guide's base pipeline on a fresh sandbox, every step checked."""
    _require_extra()
    console = inv.console
    write = console.stderr.write if inv.json else console.stdout.write
    started = time.monotonic()
    with _reported():
        sandbox = _sandbox(inv)
        condition, _state = sandbox.condition()
        if condition in ("up", "starting"):
            raise SandboxError("the sandbox is up, and the demo runs on a fresh one: stop it first with "
                               "`snet training sandbox down` (or try the commands by hand: snet training sandbox shell)")
        write("Starting a fresh sandbox ...\n")
        up_seconds = sandbox.up(request_for()).seconds
        write(f"The sandbox is up ({up_seconds:.1f} s).\n")
        try:
            report = demo_flow.run(sandbox, write, snet=demo_flow.snet_command(sys.executable))
        finally:
            if not inv.sandbox.keep:
                sandbox.down()
    seconds = time.monotonic() - started
    document = dict(report.to_dict(), up_seconds=round(up_seconds, 2), seconds=round(seconds, 2),
                    kept=inv.sandbox.keep)
    if not report.ok:
        raise errors.TrainingError(f"the demo failed at step {report.failed_step}; everything it printed is above"
                                   + ("" if inv.sandbox.keep else " (run it with --keep to look around afterwards)"))
    ending = ("The sandbox is still up (--keep): `snet training sandbox shell` to look around, `down` to stop it."
              if inv.sandbox.keep else "The sandbox is down again.")
    return Outcome(document, lambda: demo_ending(report.payments, len(report.steps), seconds, ending))


def demo_ending(payments: list[dict], steps: int, seconds: float, ending: str) -> str:
    """The demo's last words: how it went, what is left running, and the payments the daemon accepted (YAML)."""
    return (f"All {steps} steps did what they should, in {seconds:.1f} s. {ending}\n"
            f"Payments the daemon accepted:\n{render.to_yaml(payments)}")
