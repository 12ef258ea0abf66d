"""Start-up cost of the plugin.

1. The .pth hook's cost on every interpreter start: `python -X importtime -c pass`, the
   self+cumulative time of `snet_cli_training_hook`, median of N runs; plus wall time of
   `python -c pass` with the hook vs with `-S`-free site but the hook module absent is not
   separable, so the import time is the figure.
2. `snet training --help` vs `snet version`: median wall time of N runs each, interleaved.

Run: `python benchmarks/startup.py [--runs N]`.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def hook_import_us(runs: int) -> list[int]:
    """Cumulative import time (µs) of the hook module at interpreter start, per run."""
    samples = []
    for _ in range(runs):
        err = subprocess.run([sys.executable, "-X", "importtime", "-c", "pass"], capture_output=True, text=True).stderr
        match = re.search(r"import time:\s+\d+ \|\s+(\d+) \|\s+snet_cli_training_hook\s*$", err, re.M)
        if match is None:
            raise SystemExit("the hook did not run at interpreter start: is the plugin installed?")
        samples.append(int(match.group(1)))
    return samples


def wall(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, env=env, check=True, stdin=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    snet = shutil.which("snet")
    if snet is None:
        raise SystemExit("snet is not on PATH")
    hook = hook_import_us(runs)
    print(f"hook import at interpreter start: median {statistics.median(hook) / 1000:.3f} ms "
          f"(min {min(hook) / 1000:.3f}, max {max(hook) / 1000:.3f}; target < 1 ms)")
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, HOME=home)
        wall([snet, "version"], env)  # creates ~/.snet/config once
        version, training = [], []
        for _ in range(runs):
            version.append(wall([snet, "version"], env))
            training.append(wall([snet, "training", "--help"], env))
    v, t = statistics.median(version), statistics.median(training)
    print(f"snet version:          median {v:.3f} s")
    print(f"snet training --help:  median {t:.3f} s  ratio {t / v:.2f} x (target <= 1.25 x)")


if __name__ == "__main__":
    main()
