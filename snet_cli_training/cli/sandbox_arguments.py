"""argparse definitions of `snet training sandbox ACTION`: a local SingularityNET network to try and test against."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from snet_cli_training.cli.combinations import set_checks, when
from snet_cli_training.cli.examples import epilog

# What `up --daemon-behaviour` accepts: the daemon releases of docs/daemon-releases.md. The sandbox
# says which of them its simulator can show.
DAEMON_BEHAVIOURS = ("intended", "v6.0", "v6.0-dynamic-pricing", "v6.1", "v6.2")

SANDBOX_HELP = "A local SingularityNET network to try every command on and test scripts against (no real money)"
SANDBOX_DESCRIPTION = """\
A local SingularityNET network on this machine: a chain with the real contracts, an IPFS stand-in,
an organization with a trainable demo service, a funded client with a payment channel, and a
daemon simulator that enforces snet-daemon's rules (it is not snet-daemon). It runs in the
background with its own snet-cli HOME: your ~/.snet/config, identities and channels are never
used. Needs the sandbox extra: pip install 'snet-cli-training[sandbox]'.
"""


def add_sandbox(subparsers: argparse._SubParsersAction, add: Callable[..., argparse.ArgumentParser]) -> None:
    """Add `sandbox` and its actions; `add(subparsers, name, handler, help)` makes one runnable subcommand."""
    sandbox = subparsers.add_parser("sandbox", help=SANDBOX_HELP, description=SANDBOX_DESCRIPTION,
                                    epilog=epilog("sandbox"), formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = sandbox.add_subparsers(title="sandbox actions", metavar="ACTION")
    actions.required = True

    p = add(actions, "up", "sandbox:up", "Start the sandbox in the background and say how to use it")
    p.add_argument("--provider", dest="sandbox_provider", metavar="HOST:PORT",
                   help="publish your own service instead of the demo: the daemon forwards to your training.Model "
                        "and your methods at HOST:PORT (with --proto-dir)")
    p.add_argument("--proto-dir", dest="sandbox_proto_dir", metavar="DIR",
                   help="the folder of your service's .proto files (one imports training.proto)")
    p.add_argument("--daemon-behaviour", dest="daemon_behaviour", choices=DAEMON_BEHAVIOURS, default="intended",
                   help="which snet-daemon release the simulator behaves like (default: intended)")

    add(actions, "down", "sandbox:down", "Stop every process of the sandbox")
    add(actions, "status", "sandbox:status", "Show endpoints, block number, identities, models and payments")
    add(actions, "reset", "sandbox:reset", "Stop the sandbox and start a fresh one with the same options")
    add(actions, "shell", "sandbox:shell", "Open your shell with the sandbox's snet-cli HOME")

    p = add(actions, "run", "sandbox:run", "Run one command with the sandbox's snet-cli HOME; exit with its code")
    p.add_argument("sandbox_command", nargs=argparse.REMAINDER, metavar="-- CMD...",
                   help="the command and its arguments, after --")
    set_checks(p, when("-- CMD", lambda a: not [word for word in a.sandbox_command or () if word != "--"][:1],
                       "run needs a command: snet training sandbox run -- CMD [ARG...]"))

    p = add(actions, "demo", "sandbox:demo",
            "Run the whole training flow on a fresh sandbox, printing every command and its output")
    p.add_argument("--keep", action="store_true", help="leave the sandbox up afterwards")
