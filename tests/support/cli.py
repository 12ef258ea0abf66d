"""Running the real `snet training` executable as a user would (for what only a process can show)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.support.stack import snet_executable


def copy_home(source: str | Path, target: Path) -> Path:
    """A private copy of an identity's snet-cli HOME: its own model store, caches and journals."""
    target.mkdir()
    shutil.copytree(Path(source) / ".snet", target / ".snet")
    return target


def snet_env(home: Path) -> dict[str, str]:
    return dict(os.environ, HOME=str(home), PYTHONWARNINGS="ignore")


def training(home: Path, *args: str, json_output: bool = True, timeout: float = 90) -> subprocess.CompletedProcess:
    """`snet training ...` as HOME's identity, with no terminal (stdin is an empty pipe); never a traceback."""
    result = subprocess.run([snet_executable(), "training", *args, *(["--json"] if json_output else [])],
                            env=snet_env(home), cwd=str(home), capture_output=True, text=True, timeout=timeout, input="")
    assert "Traceback" not in result.stderr, result.stderr
    return result
