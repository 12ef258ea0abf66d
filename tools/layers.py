"""The package's layers and the imports between them: `python tools/layers.py`.

Prints, for each top-level package or module of snet_cli_training, the ones it imports, in
LAYERS order (top first). Exit 1 when an import points up or sideways in that order, naming the
file; tests/test_layers.py runs the same check. Every import statement counts, inside functions
and under TYPE_CHECKING too.
"""

from __future__ import annotations

import ast
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "snet_cli_training"
NAME = PACKAGE.name
# Top to bottom: each may import only those after it.
LAYERS = ("plugin", "__main__", "cli", "commands", "sandbox", "diagnosis", "payment", "dataset", "snetcli",
          "daemon", "store", "services", "privatefile", "safejson", "console", "constants", "errors")


def module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: pathlib.Path) -> set[str]:
    """Every module a source file imports, anywhere in it, relative imports resolved; `from P import n` gives P.n."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *filter(None, [base])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def layer_of(module: str) -> str | None:
    """The top-level package or module of snet_cli_training that `module` belongs to (None: not the plugin's)."""
    parts = module.split(".")
    if parts[0] != NAME or len(parts) == 1:  # `from snet_cli_training import x` is x's
        return None
    return parts[1] if (PACKAGE / parts[1]).is_dir() or (PACKAGE / f"{parts[1]}.py").is_file() else None


def arrows() -> dict[str, dict[str, list[str]]]:
    """{layer: {imported layer: [files that import it]}}, generated protobuf code aside."""
    found: dict[str, dict[str, list[str]]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        source = layer_of(module_name(path))
        if source is None:
            continue
        for target in sorted({layer_of(m) for m in imported_modules(path)} - {None, source}):
            found.setdefault(source, {}).setdefault(str(target), []).append(str(path.relative_to(ROOT)))
    return found


def upward(found: dict[str, dict[str, list[str]]]) -> list[str]:
    """Each import that does not point down LAYERS, as `file: source -> target`."""
    rank = {name: i for i, name in enumerate(LAYERS)}
    return [f"{path}: {source} -> {target}" for source, targets in found.items() for target, paths in targets.items()
            if rank.get(target, -1) <= rank.get(source, len(LAYERS)) for path in paths]


def main() -> int:
    found = arrows()
    for layer in LAYERS:
        print(f"{layer:12} -> {', '.join(t for t in LAYERS if t in found.get(layer, {})) or '-'}")
    unknown = sorted(set(found) - set(LAYERS))
    wrong = upward(found) + [f"{name}: not in LAYERS" for name in unknown]
    for line in wrong:
        print(f"wrong way: {line}", file=sys.stderr)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
