"""The sandbox's boundaries: the plugin never imports it, it reaches the plugin through one module, eth-tester stays out."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

from tests.support.tools import load_tool

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "snet_cli_training"
SANDBOX = PACKAGE / "sandbox"
imported_modules = load_tool("layers").imported_modules


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


# The one command module that may import the sandbox, and what it may import of it.
SANDBOX_COMMAND = "snet_cli_training/commands/sandbox.py"
ENTRY_POINTS = {"snet_cli_training.sandbox", "snet_cli_training.sandbox.demo", "snet_cli_training.sandbox.errors",
                "snet_cli_training.sandbox.lifecycle"}


def test_the_plugin_never_imports_the_sandbox_but_in_its_command_module():
    reaching = {str(path.relative_to(ROOT)): {m for m in imported_modules(path) if _inside(m, "snet_cli_training.sandbox")}
                for path in PACKAGE.rglob("*.py") if SANDBOX not in path.parents}
    assert {path: modules for path, modules in reaching.items() if modules and path != SANDBOX_COMMAND} == {}
    # `from M import name` lists M.name too: a name is fine when M is an entry-point module.
    modules = ENTRY_POINTS - {"snet_cli_training.sandbox"}
    outside = {m for m in reaching[SANDBOX_COMMAND] if m not in ENTRY_POINTS and m.rpartition(".")[0] not in modules}
    assert outside == set() and "snet_cli_training.sandbox.lifecycle" in reaching[SANDBOX_COMMAND]


def test_the_sandbox_reaches_the_plugin_only_through_its_protocol_module():
    reaching = {str(path.relative_to(ROOT)) for path in SANDBOX.rglob("*.py")
                if any(_inside(m, "snet_cli_training") and not _inside(m, "snet_cli_training.sandbox")
                       for m in imported_modules(path))}
    assert reaching == {"snet_cli_training/sandbox/protocol.py"}


def test_only_the_chain_process_imports_eth_tester():
    code = """
import json, pkgutil, sys, importlib
import snet_cli_training.sandbox as sandbox
names = [m.name for m in pkgutil.walk_packages(sandbox.__path__, "snet_cli_training.sandbox.")]
for name in names:
    if name not in ("snet_cli_training.sandbox.chain.evm", "snet_cli_training.sandbox.chain.server"):
        importlib.import_module(name)
before = "eth_tester" in sys.modules
importlib.import_module("snet_cli_training.sandbox.chain.server")
print(json.dumps({"modules": len(names), "before": before, "after": "eth_tester" in sys.modules}))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["modules"] > 20 and found["before"] is False and found["after"] is True
