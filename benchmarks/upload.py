"""Upload throughput and peak RSS: UploadSource + DaemonClient against snet-sdk 6.0.0's `upload_and_validate`.

    python benchmarks/upload.py [--sizes 64,256,1024] [--chunks 1048576,4000000] [--sdk-sizes 256] [--block-cache S] [--repeat 1]

Starts the local test network (snet_cli_training.sandbox.network.LocalNetwork with the daemon double), builds
in a temporary directory one zip (STORED, random bytes) per size in MB, and uploads each, for
free (the model's validate price is 0 as no price RPC is called; the payment headers carry a
zero increment), from a fresh child process per run: ours once per chunk size, the SDK (HOME
and SNET_* set before its import) for the --sdk-sizes. Each child reports the wall time of the
upload call and its peak RSS (ru_maxrss) before and after; the parent checks the daemon's sha256
and size, and reads the double's CPU time over the run to show when the double is the bottleneck.
Targets: ours >= the SDK's MB/s; peak RSS < 200 MB and within 20 MB between 64 MB and 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
MB = 1_000_000
CHILD_ENV = {"PYTHONWARNINGS": "ignore", "PYTHONPATH": str(REPO_ROOT)}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---- children ----------------------------------------------------------------------------------

def personal_sign(private_key: str, digest: bytes) -> bytes:
    from eth_account import Account
    from eth_account.messages import encode_defunct

    return bytes(Account.sign_message(encode_defunct(primitive=digest), private_key).signature)


def block_reader(w3, cache_seconds: float):
    """The node's block number, re-read at most every cache_seconds (0: on every call, as snet-cli's session does)."""
    last = {"at": float("-inf"), "block": 0}

    def block_number() -> int:
        now = time.monotonic()
        if now - last["at"] >= cache_seconds:
            last.update(at=now, block=w3.eth.block_number)
        return last["block"]

    return block_number


def child_ours(job: dict) -> dict:
    from web3 import Web3

    from snet_cli_training.daemon import authorization as auth, client
    from snet_cli_training.daemon.upload_source import UploadSource

    w3 = Web3(Web3.HTTPProvider(job["rpc"]))
    address = Web3.to_checksum_address(job["address"])
    signer = auth.Signer(address, lambda digest: personal_sign(job["private_key"], digest))
    authorizer = auth.Authorizer(signer, block_reader(w3, job.get("block_cache_seconds", 0.0)))
    mpe = Web3.to_checksum_address(job["mpe"])
    rss_before = peak_rss_mb()
    with client.DaemonClient(job["endpoint"], authorizer, timeout=20) as daemon:
        started = time.perf_counter()
        block = authorizer.current_block()
        state_digest = Web3.solidity_keccak(["string", "address", "uint256", "uint256"],
                                            ["__get_channel_state", mpe, job["channel_id"], block])
        state = daemon.get_channel_state(job["channel_id"], personal_sign(job["private_key"], state_digest), block)
        amount = state.current_signed_amount  # a zero increment: the upload is free
        claim = Web3.solidity_keccak(["string", "address", "uint256", "uint256", "uint256"],
                                     ["__MPE_claim_message", mpe, job["channel_id"], state.current_nonce, amount])
        metadata = [("snet-payment-type", "train-call"), ("snet-payment-channel-id", str(job["channel_id"])),
                    ("snet-payment-channel-nonce", str(state.current_nonce)),
                    ("snet-payment-channel-amount", str(amount)), ("snet-train-model-id", job["model_id"]),
                    ("snet-payment-channel-signature-bin", personal_sign(job["private_key"], claim))]
        source = UploadSource(job["dataset"], job["model_id"], chunk_size=job["chunk"])
        status = daemon.upload_and_validate(source, payment_metadata=metadata)
        seconds = time.perf_counter() - started
    return {"status": status, "seconds": seconds, "sha256": source.sha256, "size": source.size_bytes,
            "rss_before_mb": rss_before, "rss_peak_mb": peak_rss_mb()}


def child_sdk(job: dict) -> dict:
    # snet-sdk reads its settings (pydantic, SNET_* variables) and HOME at import time.
    from snet.sdk import SnetSDK

    from snet.sdk.training.training import Training

    # The double's service declares limits (10 MB, png/mp3/txt) that a benchmark dataset breaks, and our
    # upload path here checks nothing either: measure the SDK's upload, not its (zip-only) check.
    Training._check_dataset = lambda self, model_id, zip_path: None
    sdk = SnetSDK()
    service = sdk.create_service_client(job["org_id"], job["service_id"], job["group_name"])
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    status = service.training.upload_and_validate(job["model_id"], job["dataset"], 0)
    seconds = time.perf_counter() - started
    return {"status": getattr(status, "name", str(status)), "seconds": seconds, "sha256": None,
            "size": os.path.getsize(job["dataset"]), "rss_before_mb": rss_before, "rss_peak_mb": peak_rss_mb()}


# ---- parent ------------------------------------------------------------------------------------

def make_dataset(path: Path, size_mb: int) -> None:
    """A STORED zip of one member holding size_mb MB of random bytes, written 4 MB at a time."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        with archive.open("random.bin", "w", force_zip64=True) as member:
            remaining = size_mb * MB
            while remaining:
                block = os.urandom(min(4 * MB, remaining))
                member.write(block)
                remaining -= len(block)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_child(kind: str, job: dict, env: dict) -> dict:
    completed = subprocess.run([sys.executable, __file__, "--child", kind, json.dumps(job)], env=env,
                               capture_output=True, text=True, timeout=900, cwd=REPO_ROOT)
    if completed.returncode != 0:
        raise RuntimeError(f"{kind} child failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def channel_id_of(stack, address: str) -> int:
    from snet_cli_training.sandbox.contracts import contract

    mpe = contract(stack.web3(), "MultiPartyEscrow", stack.mpe_address)
    for channel_id in range(mpe.functions.nextChannelId().call()):
        if mpe.functions.channels(channel_id).call()[1] == address:
            return channel_id
    raise LookupError(f"no channel of {address}")


def new_model(stack) -> str:
    from eth_account import Account
    from web3 import Web3

    from snet_cli_training.daemon import authorization as auth, client

    key = stack.client.private_key
    signer = auth.Signer(Account.from_key(key).address, lambda digest: personal_sign(key, digest))
    w3 = Web3(Web3.HTTPProvider(stack.rpc))
    with client.DaemonClient(stack.daemon_endpoint, auth.Authorizer(signer, lambda: w3.eth.block_number)) as daemon:
        return daemon.create_model("Echo", "answer", "upload benchmark").model_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="64,256,1024", help="dataset sizes in MB (10^6 bytes)")
    parser.add_argument("--chunks", default="1048576,4000000", help="our chunk sizes in bytes")
    parser.add_argument("--sdk-sizes", default="256", help="sizes the SDK uploads too")
    parser.add_argument("--block-cache", type=float, default=0.0,
                        help="also run ours with the block number re-read at most every N seconds (0: no such row)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per row; the best is shown")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "JOB"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        kind, job = options.child
        print(json.dumps((child_ours if kind == "ours" else child_sdk)(json.loads(job))))
        return

    sys.path.insert(0, str(REPO_ROOT))
    from snet_cli_training.sandbox.daemon_hook import default_daemon_hook
    from snet_cli_training.sandbox.network import LocalNetwork

    sizes = [int(s) for s in options.sizes.split(",")]
    chunks = [int(c) for c in options.chunks.split(",")]
    sdk_sizes = {int(s) for s in options.sdk_sizes.split(",") if s}
    workdir = Path(tempfile.mkdtemp(prefix="snet-upload-bench-"))
    rows = []
    try:
        with LocalNetwork(daemon=default_daemon_hook()) as stack:
            handle = stack.daemon_handle
            if handle is None or not hasattr(handle, "control"):
                sys.exit("the stack runs without the daemon double")
            handle.control.configure(validate_price=0)
            channel_id = channel_id_of(stack, stack.client.address)
            sdk_home = workdir / "sdk-home"
            sdk_home.mkdir()
            sdk_env = dict(os.environ, **CHILD_ENV, HOME=str(sdk_home), SNET_PRIVATE_KEY=stack.client.private_key,
                           SNET_ETH_RPC_ENDPOINT=stack.rpc, SNET_IPFS_ENDPOINT=f"/ip4/127.0.0.1/tcp/{stack.ipfs_port}/http",
                           SNET_MPE_CONTRACT_ADDRESS=stack.mpe_address, SNET_REGISTRY_CONTRACT_ADDRESS=stack.registry_address,
                           SNET_TOKEN_CONTRACT_ADDRESS=stack.token_address, SNET_CONCURRENCY="false")
            ours_env = dict(os.environ, **CHILD_ENV)
            base = {"rpc": stack.rpc, "endpoint": stack.daemon_endpoint, "mpe": stack.mpe_address,
                    "address": stack.client.address, "private_key": stack.client.private_key, "channel_id": channel_id,
                    "org_id": stack.org_id, "service_id": stack.service_id, "group_name": stack.group_name}
            for size in sizes:
                dataset = workdir / f"dataset-{size}mb.zip"
                make_dataset(dataset, size)
                runs = [("ours", chunk) for chunk in chunks]
                runs += [("ours, block cached", chunk) for chunk in chunks if options.block_cache]
                runs += [("sdk", 1024 * 1024)] if size in sdk_sizes else []
                for kind, chunk in runs:
                    best = None
                    for _ in range(options.repeat):
                        model_id = new_model(stack)
                        job = dict(base, model_id=model_id, dataset=str(dataset), chunk=chunk,
                                   block_cache_seconds=options.block_cache if kind.endswith("cached") else 0.0)
                        daemon_cpu = cpu_seconds(handle.process.pid)
                        result = run_child("sdk" if kind == "sdk" else "ours", job, sdk_env if kind == "sdk" else ours_env)
                        result["daemon_cpu"] = cpu_seconds(handle.process.pid) - daemon_cpu
                        upload = handle.control.model(model_id)["uploads"][-1]
                        if not upload["complete"] or upload["size"] != dataset.stat().st_size:
                            raise RuntimeError(f"{kind}: the daemon got {upload['size']} bytes, complete={upload['complete']}")
                        if result["sha256"] not in (None, upload["sha256"]):
                            raise RuntimeError(f"{kind}: sha256 differs from the daemon's")
                        if best is None or result["seconds"] < best["seconds"]:
                            best = result
                    mb = dataset.stat().st_size / MB
                    rows.append((kind, size, chunk, best["seconds"], mb / best["seconds"], best["daemon_cpu"],
                                 best["rss_before_mb"], best["rss_peak_mb"], best["status"]))
                    print(f"{kind:18} {size:5} MB chunk {chunk:>8}: {best['seconds']:6.2f} s {mb / best['seconds']:7.1f} MB/s "
                          f"daemon cpu {best['daemon_cpu']:5.2f} s  rss {best['rss_before_mb']:.0f}->{best['rss_peak_mb']:.0f} MB",
                          flush=True)
                dataset.unlink()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\n| client | dataset | chunk | seconds | MB/s | double's CPU s | RSS before upload | peak RSS | status |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind, size, chunk, seconds, rate, cpu, before, peak, status in rows:
        print(f"| {kind} | {size} MB | {chunk:,} | {seconds:.2f} | {rate:.0f} | {cpu:.2f} | {before:.0f} MB | {peak:.0f} MB | {status} |")


if __name__ == "__main__":
    main()
