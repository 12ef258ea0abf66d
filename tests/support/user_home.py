"""A HOME standing for a user's, for the sandbox's tests: what it holds must come out unchanged."""

from __future__ import annotations

import hashlib
from pathlib import Path

USER_CONFIG = """\
[network.sepolia]
default_eth_rpc_endpoint = https://sepolia.example.invalid/v3/key

[ipfs]
default_ipfs_endpoint = /dns/ipfs.example.invalid/tcp/443/https

[identity.me]
identity_type = key
private_key = 0x{key}
network = sepolia

[session]
network = sepolia
identity = me
"""


def make_user_home(home: Path) -> Path:
    """An snet-cli config with an identity on another network, and a model store."""
    (home / ".snet" / "training").mkdir(parents=True)
    (home / ".snet" / "config").write_text(USER_CONFIG.format(key="11" * 32))
    (home / ".snet" / "training" / "models.json").write_text('{"models": []}\n')
    return home


def sandbox_folder(home: Path) -> Path:
    return home / ".snet" / "training" / "sandbox"


def dot_snet_digest(home: Path) -> str:
    """Every file under HOME/.snet (name, mode, bytes), except the sandbox's own folder."""
    digest = hashlib.sha256()
    root = home / ".snet"
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if relative == "training/sandbox" or relative.startswith("training/sandbox/"):
            continue
        digest.update(f"{relative} {path.stat().st_mode:o}\n".encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()
