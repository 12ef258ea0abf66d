"""Regenerate snet_cli_training/daemon/_proto/protocol.binpb from protos/*.proto.

Run from the checkout: `python tools/regen_protos.py` (needs grpcio-tools==1.81.1, the pinned
generator, so that the committed bytes are reproducible). `--check` exits 1 when the committed
file differs from what the sources give.
"""

from __future__ import annotations

import pathlib
import sys
import tempfile

from grpc_tools import protoc

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCES = ("training.proto", "training_daemon.proto", "channel_state.proto")
TARGET = ROOT / "snet_cli_training" / "daemon" / "_proto" / "protocol.binpb"


def build(out: pathlib.Path) -> None:
    """Compile the sources with their imports into one FileDescriptorSet at `out`."""
    well_known = pathlib.Path(protoc.__file__).parent / "_proto"
    args = [
        "protoc",
        f"-I{ROOT / 'protos'}",
        f"-I{well_known}",
        "--include_imports",
        f"--descriptor_set_out={out}",
        *SOURCES,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")


def main(argv: list[str]) -> int:
    if "--check" in argv:
        with tempfile.TemporaryDirectory() as tmp:
            fresh = pathlib.Path(tmp) / "protocol.binpb"
            build(fresh)
            same = fresh.read_bytes() == TARGET.read_bytes()
        print("up to date" if same else f"{TARGET} differs from protos/: run python tools/regen_protos.py")
        return 0 if same else 1
    build(TARGET)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
