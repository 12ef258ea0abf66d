"""Time and peak RSS of the dataset check, against snet-sdk 6.0.0's `Training._check_dataset`.

    python benchmarks/check_dataset.py [--sizes 10000,100000,1000000] [--cmd "snet training check-dataset {path} --metadata {meta}"]

Builds, in a temporary directory, zips of small entries (one per size), the 100,000-entry content
as tar.gz, and a zip whose single entry claims 1 GiB; then runs every check in its own process
and prints a table. With --cmd the given command line is measured as well as `python -c` calling
check_dataset, unless its program is not installed or it answers with a usage error (exit 2).
Last, both check functions run in this one process on the 100,000-entry zip, alternately, and the
best of --repeat runs of each is compared (no start-up or import time in either).
Targets on the 100,000-entry zip: in-process time <= 0.5 x the SDK's; the whole `--cmd` process
<= 1.0 x the SDK's whole process; tar.gz < 10 s; peak RSS < 150 MB and flat as entries grow.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import shlex
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

LIMITS = {"dataset_max_size_mb": 10_000, "dataset_max_count_files": 10_000_000, "dataset_max_size_single_file_mb": 10,
          "dataset_files_type": "txt"}
OURS = (
    "import json, sys; from snet_cli_training.dataset.requirements import MethodLimits; "
    "from snet_cli_training.dataset.check import check_dataset; "
    "r = check_dataset(sys.argv[1], MethodLimits.from_mapping(json.load(open(sys.argv[2])))); "
    "print(r.files, r.ok, [v.code for v in r.violations][:3]); sys.exit(0 if r.ok else 3)"
)
SDK = (
    "import sys; from snet.sdk.training.training import Training; from snet.sdk.training.responses import MethodMetadata; "
    "t = object.__new__(Training); "
    "t.get_method_metadata = lambda *a, **k: MethodMetadata('', 0, 10000, 10000000, 10, 'txt', '', ''); "
    "t._check_dataset('', sys.argv[1]); print('ok')"
)


def entry_name(index: int) -> str:
    return f"d{index // 1000:04d}/f{index:07d}.txt"


def build_zip(path: Path, count: int) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for index in range(count):
            archive.writestr(entry_name(index), b"sample %d\n" % index)


def build_tar_gz(path: Path, count: int) -> None:
    with tarfile.open(path, "w:gz", compresslevel=1) as archive:
        for index in range(count):
            data = b"sample %d\n" % index
            info = tarfile.TarInfo(entry_name(index))
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def build_bomb(path: Path) -> None:
    """One DEFLATE entry of 16 bytes whose headers claim 1 GiB."""
    name, payload, claimed = b"bomb.txt", b"\x03\x00" * 8, 1 << 30
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, 0, len(payload), claimed, len(name), 0) + name + payload
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, 0, len(payload), claimed, len(name), 0, 0, 0, 0, 0, 0)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central) + len(name), len(local), 0)
    path.write_bytes(local + central + name + end)


def measure(argv: list[str]) -> tuple[float, float, int, str]:
    """Wall seconds, peak RSS in MB, exit code and last output line of one process."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = process.stdout.read().decode(errors="replace").strip()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss / 1024, process.returncode, output.splitlines()[-1] if output else ""


def our_argv(cmd: str | None, path: Path, meta: Path) -> list[str]:
    if cmd:
        return shlex.split(cmd.format(path=shlex.quote(str(path)), meta=shlex.quote(str(meta))))
    return [sys.executable, "-c", OURS, str(path), str(meta)]


def command_usable(cmd: str, sample: Path, meta: Path) -> bool:
    """The command's program exists and knows the subcommand (no usage error)."""
    if not shutil.which(shlex.split(cmd)[0]):
        return False
    return measure(our_argv(cmd, sample, meta))[2] != 2


def sdk_check(path: str) -> None:
    """The SDK's own check of PATH, with the LIMITS the other rows use (its metadata call answered locally)."""
    from snet.sdk.training.responses import MethodMetadata
    from snet.sdk.training.training import Training

    training = object.__new__(Training)
    training.get_method_metadata = lambda *args, **kwargs: MethodMetadata(
        "", 0, LIMITS["dataset_max_size_mb"], LIMITS["dataset_max_count_files"], LIMITS["dataset_max_size_single_file_mb"],
        LIMITS["dataset_files_type"], "", "")
    training._check_dataset("", path)


def in_process(path: Path, repeat: int) -> tuple[float, float]:
    """Best seconds of the SDK's check and of ours on PATH, run alternately in this process."""
    from snet_cli_training.dataset.check import check_dataset
    from snet_cli_training.dataset.requirements import MethodLimits

    limits = MethodLimits.from_mapping(LIMITS)
    sdk_times, our_times = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        sdk_check(str(path))
        sdk_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        report = check_dataset(str(path), limits)
        our_times.append(time.perf_counter() - started)
        if not report.ok:
            raise SystemExit(f"our check failed the benchmark's own zip: {report.text()}")
    return min(sdk_times), min(our_times)


def build_all(root: Path, sizes: list[int]) -> None:
    """Every dataset the benchmark checks (run in its own process, so this one's peak RSS stays low)."""
    for size in sorted(set(sizes) | {100_000}):
        build_zip(root / f"{size}.zip", size)
    build_tar_gz(root / "100000.tar.gz", 100_000)
    build_bomb(root / "bomb.zip")


def best_of(repeat: int, argv: list[str]) -> tuple[float, float, int, str]:
    """The fastest of REPEAT runs, with the largest peak RSS seen."""
    runs = [measure(argv) for _ in range(repeat)]
    fastest = min(runs)
    return fastest[0], max(run[1] for run in runs), fastest[2], fastest[3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="zip entry counts for the RSS flatness rows")
    parser.add_argument("--repeat", type=int, default=3, help="runs per row; the fastest is shown (default 3)")
    parser.add_argument("--cmd", help='command line with {path} and {meta}, e.g. "snet training check-dataset {path} --metadata {meta}"')
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        meta = root / "meta.json"
        meta.write_text(json.dumps(LIMITS))
        builder = multiprocessing.get_context("spawn").Process(target=build_all, args=(root, sizes))
        builder.start()
        builder.join()
        runners: dict[str, str | None] = {"check_dataset": None}
        if options.cmd and command_usable(options.cmd, root / f"{min(sizes)}.zip", meta):
            runners["command"] = options.cmd
        elif options.cmd:
            print(f"note: `{options.cmd}` is not available; measuring python -c check_dataset only", file=sys.stderr)
        rows = [("sdk _check_dataset", "zip 100,000", *best_of(options.repeat, [sys.executable, "-c", SDK, str(root / "100000.zip")]))]
        for label, cmd in runners.items():
            rows.append((label, "zip 100,000", *best_of(options.repeat, our_argv(cmd, root / "100000.zip", meta))))
            rows.append((label, "tar.gz 100,000", *best_of(options.repeat, our_argv(cmd, root / "100000.tar.gz", meta))))
            for size in (size for size in sizes if size != 100_000):
                rows.append((label, f"zip {size:,}", *best_of(options.repeat, our_argv(cmd, root / f"{size}.zip", meta))))
            rows.append((label, "zip bomb 1 GiB", *best_of(options.repeat, our_argv(cmd, root / "bomb.zip", meta))))
        # Last: importing the SDK here makes this process large, and a child's peak RSS counts it until exec.
        sdk_seconds, our_seconds = in_process(root / "100000.zip", max(options.repeat, 5))
    print(f"{'what':<20} {'dataset':<16} {'wall s':>7} {'peak MB':>8} {'exit':>4}  output")
    for what, dataset, elapsed, rss, code, output in rows:
        print(f"{what:<20} {dataset:<16} {elapsed:7.2f} {rss:8.1f} {code:>4}  {output.strip()[:60]}")
    sdk_time = rows[0][2]
    for what, dataset, elapsed, *_ in rows[1:]:
        if dataset == "zip 100,000":
            target = " (target <= 1.0)" if what == "command" else ""
            print(f"zip 100,000 whole-process time ratio {what}/sdk: {elapsed / sdk_time:.2f}{target}")
    print(f"zip 100,000 in-process: sdk {sdk_seconds:.3f} s, ours {our_seconds:.3f} s, "
          f"ratio {our_seconds / sdk_seconds:.2f} (target <= 0.5)")


if __name__ == "__main__":
    main()
