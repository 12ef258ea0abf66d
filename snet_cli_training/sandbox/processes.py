"""Starting the sandbox's child processes so they run this copy of the package, from any directory."""

from __future__ import annotations

import os
import site
import sys
from pathlib import Path

# The folder holding snet_cli_training/: a checkout, or site-packages when installed.
PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def python_module(module: str, *args: str) -> list[str]:
    """The command line that runs `module` with this interpreter."""
    return [sys.executable, "-m", module, *args]


def child_env(**extra: str) -> dict[str, str]:
    """os.environ for a child, warnings off; a checkout that is not installed goes first on its path."""
    env = dict(os.environ, PYTHONWARNINGS="ignore", **extra)
    installed = {str(Path(p).resolve()) for p in [*site.getsitepackages(), site.getusersitepackages()]}
    if str(PACKAGE_ROOT) not in installed:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_ROOT), env.get("PYTHONPATH")]))
    return env
