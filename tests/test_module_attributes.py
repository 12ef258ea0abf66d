"""Every `module.name` the package reads of its own modules exists (a removed function fails here, not in a user's run)."""

from __future__ import annotations

import ast
import importlib
import importlib.util
from pathlib import Path

import snet_cli_training

PACKAGE = Path(snet_cli_training.__file__).parent


def _module_aliases(tree: ast.Module) -> dict[str, str]:
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("snet_cli_training"):
            for name in node.names:
                full = f"{node.module}.{name.name}"
                if _is_module(full):
                    aliases[name.asname or name.name] = full
        elif isinstance(node, ast.Import):
            aliases.update({n.asname: n.name for n in node.names if n.asname and n.name.startswith("snet_cli_training")})
    return aliases


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def test_every_attribute_read_of_a_package_module_exists():
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name.endswith("_pb2.py") or path.name.endswith("_pb2_grpc.py"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = _module_aliases(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
                if not hasattr(importlib.import_module(aliases[node.value.id]), node.attr):
                    missing.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: "
                                   f"{aliases[node.value.id]}.{node.attr}")
    assert missing == []
