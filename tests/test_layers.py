"""The package's layers: every import between its top-level parts points down tools/layers.py's LAYERS."""

from __future__ import annotations

import pathlib
import subprocess
import sys

from tests.support.tools import load_tool

layers = load_tool("layers")
ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_every_import_points_down_the_layers():
    found = layers.arrows()
    assert layers.upward(found) == []
    assert set(found) <= set(layers.LAYERS)
    # The arrows the layout is built around are there (the check is not vacuous).
    assert "payment" in found["commands"] and "daemon" in found["payment"] and "errors" in found["console"]


def test_an_import_pointing_up_or_sideways_is_named_with_its_file():
    found = {"console": {"payment": ["snet_cli_training/console/x.py"]}, "store": {"services": ["s.py"]},
             "payment": {"payment": ["p.py"]}}
    assert layers.upward(found) == ["snet_cli_training/console/x.py: console -> payment", "p.py: payment -> payment"]


def test_the_tool_prints_the_layers_and_exits_0():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "layers.py")], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("plugin")
