"""Committed generated files match their sources: the man page and the protocol descriptor set."""

from __future__ import annotations

import pathlib
import subprocess
import sys

from tests.support.tools import load_tool

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _check(tool: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "tools" / tool), "--check"], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_man_page_matches_the_parser():
    result = _check("gen_manpage.py")
    assert result.returncode == 0, result.stdout + result.stderr


def test_man_page_check_fails_when_the_page_drifts(tmp_path, monkeypatch):
    gen_manpage = load_tool("gen_manpage")
    page = gen_manpage.render()
    drifted = page.replace("Delete a model", "Remove a model")
    assert gen_manpage.without_date(drifted) != gen_manpage.without_date(page)
    target = tmp_path / "snet-training.1"
    target.write_text(drifted)
    monkeypatch.setattr(gen_manpage, "TARGET", target)
    assert gen_manpage.main(["--check"]) == 1


def test_man_page_is_snet_training_with_its_sections():
    page = (ROOT / "man" / "snet-training.1").read_text(encoding="utf-8")
    assert page.startswith('.TH SNET\\-TRAINING "1" ')
    assert "\n.SH NAME\nsnet\\-training \\- train your own models on SingularityNET services\n" in page
    sections = [line[4:] for line in page.splitlines() if line.startswith(".SH ") and "COMMAND" not in line
                and "OPTIONS" not in line]
    assert sections[-4:] == ["EXIT STATUS", "FILES", "ENVIRONMENT", "EXAMPLES"]
    for text in (".B 130\ninterrupted", "~/.snet/training/models.json", "~/.snet/training/payments.json",
                 "~/.snet/training/signatures.json", ".B HOME", ".SS upload\n.nf\n# every free step"):
        assert text in page, text
    assert ".SH COMMENTS" not in page  # the exit codes are EXIT STATUS


def test_regenerating_the_protocol_descriptors_gives_the_same_bytes():
    result = _check("regen_protos.py")
    assert result.returncode == 0, result.stdout + result.stderr


def test_private_protocol_coexists_with_snet_cli_and_snet_sdk_protos():
    code = """
import os, sys
import snet.cli.resources.proto.training_pb2 as cli_training
import snet.sdk
sys.path.append(os.path.join(os.path.dirname(snet.sdk.__file__), "resources", "proto"))
import training_daemon_pb2 as sdk_daemon
from snet_cli_training.daemon import protocol
m = protocol.messages()
wire = m.MethodMetadata(dataset_max_size_mb=5).SerializeToString()
assert wire == bytes.fromhex("98b51805"), wire.hex()
assert sdk_daemon.MethodMetadata.FromString(wire).dataset_max_size_mb == 5
model = m.ModelResponse(model_id="x", status=4)
assert cli_training.ModelResponse.FromString(model.SerializeToString()).status == 4
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "ok", result.stderr
