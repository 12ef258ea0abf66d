"""`snet training get-model MODEL_ID` with a warm cache, next to `snet version`, on the local test network.

Starts the local network (chain, contracts, IPFS stand-in, daemon double), creates a model,
warms the signature cache and the model store with one get-model, then times N runs of each
command (interleaved) and counts the chain requests and signatures of the warm get-model runs.

Run: `python benchmarks/get_model.py [--runs N]`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from snet_cli_training.sandbox.daemon_hook import default_daemon_hook  # noqa: E402
from snet_cli_training.sandbox.network import LocalNetwork  # noqa: E402
from tests.support.cli import snet_executable  # noqa: E402


def timed(command: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    snet = snet_executable()
    with LocalNetwork(daemon=default_daemon_hook()) as stack:
        home = Path(stack.workdir) / "bench-home"
        shutil.copytree(Path(stack.client.home) / ".snet", home / ".snet")
        env = dict(os.environ, HOME=str(home), PYTHONWARNINGS="ignore")
        created = subprocess.run([snet, "training", "create-model", stack.org_id, stack.service_id, "--name", "bench",
                                  "--json"], env=env, capture_output=True, text=True, check=True)
        model_id = json.loads(created.stdout)["model_id"]
        subprocess.run([snet, "training", "get-model", model_id], env=env, capture_output=True, check=True)
        cache = home / ".snet" / "training" / "signatures.json"
        signed_before = cache.read_bytes()
        stack.take_chain_request_counts()
        version, get_model = [], []
        for _ in range(runs):
            seconds, _ = timed([snet, "version"], env)
            version.append(seconds)
        counts_version = stack.take_chain_request_counts()
        for _ in range(runs):
            seconds, result = timed([snet, "training", "get-model", model_id], env)
            if result.returncode != 0:
                raise SystemExit(result.stderr)
            get_model.append(seconds)
        counts = stack.take_chain_request_counts()
        new_signatures = 0 if cache.read_bytes() == signed_before else "at least 1"
    client_calls = {k.split(":", 1)[1]: n for k, n in counts.items() if k.startswith("client:")}
    v, g = statistics.median(version), statistics.median(get_model)
    print(f"snet version:                 median {v:.3f} s over {runs} runs")
    print(f"snet training get-model (warm): median {g:.3f} s  ratio {g / v:.2f} x (target <= 1.5 x)")
    print(f"chain requests by the client over {runs} get-model runs: {client_calls or 'none'}"
          f" ({sum(client_calls.values()) / runs:.1f} per run); by snet version: {sum(counts_version.values())}")
    print(f"new signatures over {runs} warm get-model runs: {new_signatures}")


if __name__ == "__main__":
    main()
