"""How long the sandbox takes: `snet training sandbox up` and `snet training sandbox demo`.

1. `up` then `down` N times in a fresh HOME: the wall time of the whole `snet training sandbox up`
   process, and the network's own start as `up --json` reports it (`up_seconds`); target under 5 s.
2. `demo` once or more in the same HOME: the whole process's wall time, and its own `seconds`;
   target under 30 s.

Run on an otherwise idle machine: `python benchmarks/sandbox.py [--runs N] [--demos M]`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time


def timed(command: list[str], env: dict[str, str]) -> tuple[float, dict]:
    """Wall seconds of COMMAND (run with --json) and the document it printed."""
    start = time.perf_counter()
    done = subprocess.run([*command, "--json"], capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL,
                          timeout=300)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return seconds, json.loads(done.stdout)


def summary(name: str, samples: list[float], target: float) -> str:
    return (f"{name}: median {statistics.median(samples):.2f} s (min {min(samples):.2f}, max {max(samples):.2f}; "
            f"{len(samples)} runs; target under {target:g} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="up/down cycles (default 5)")
    parser.add_argument("--demos", type=int, default=2, help="demo runs (default 2)")
    args = parser.parse_args()
    snet = shutil.which("snet")
    if snet is None:
        raise SystemExit("snet is not on PATH")
    sandbox = [snet, "training", "sandbox"]
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, HOME=home)
        subprocess.run([snet, "version"], capture_output=True, env=env, check=True)  # writes ~/.snet/config once
        command, network = [], []
        try:
            for _ in range(args.runs):
                seconds, document = timed([*sandbox, "up"], env)
                command.append(seconds)
                network.append(document["up_seconds"])
                timed([*sandbox, "down"], env)
            demo_command, demo_own = [], []
            for _ in range(args.demos):
                seconds, document = timed([*sandbox, "demo"], env)
                demo_command.append(seconds)
                demo_own.append(document["seconds"])
        finally:
            subprocess.run([*sandbox, "down"], capture_output=True, env=env)
    print(summary("`sandbox up`, whole process", command, 5))
    print(summary("`sandbox up`, the network's own start", network, 5))
    print(summary("`sandbox demo`, whole process", demo_command, 30))
    print(summary("`sandbox demo`, its own count", demo_own, 30))


if __name__ == "__main__":
    main()
