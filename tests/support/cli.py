"""Running the real `snet` executable as a user would (for what only a process can show), and HOME helpers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import types
from pathlib import Path


def snet_executable() -> str:
    """The `snet` console script of this interpreter (else the one on PATH)."""
    beside = Path(sys.executable).with_name("snet")
    return str(beside) if beside.exists() else (shutil.which("snet") or "snet")


def run_snet(home: str | Path, *args: str, timeout: float = 60,
             input: str | None = None) -> subprocess.CompletedProcess:
    """Run the real `snet` executable with HOME=home; never raises on a non-zero exit."""
    env = dict(os.environ, HOME=str(home), PYTHONWARNINGS="ignore")
    return subprocess.run([snet_executable(), *args], env=env, cwd=str(home),
                          capture_output=True, text=True, timeout=timeout, input=input)


def copy_home(source: str | Path, target: Path) -> Path:
    """A private copy of an identity's snet-cli HOME: its own model store, caches and journals."""
    target.mkdir()
    shutil.copytree(Path(source) / ".snet", target / ".snet")
    return target


def use_home(home: Path, monkeypatch) -> Path:
    """Make `home` this process's HOME for snet-cli's classes run in-process, without their receipt-poll sleeps."""
    monkeypatch.setenv("HOME", str(home))
    import snet.cli.identity

    # snet-cli sleeps 1 s before each receipt poll; the local chain mines at once.
    monkeypatch.setattr(snet.cli.identity, "time", types.SimpleNamespace(sleep=lambda _seconds: None))
    return home


def snet_env(home: Path) -> dict[str, str]:
    return dict(os.environ, HOME=str(home), PYTHONWARNINGS="ignore")


def training(home: Path, *args: str, json_output: bool = True, timeout: float = 90) -> subprocess.CompletedProcess:
    """`snet training ...` as HOME's identity, with no terminal (stdin is an empty pipe); never a traceback."""
    result = subprocess.run([snet_executable(), "training", *args, *(["--json"] if json_output else [])],
                            env=snet_env(home), cwd=str(home), capture_output=True, text=True, timeout=timeout, input="")
    assert "Traceback" not in result.stderr, result.stderr
    return result
