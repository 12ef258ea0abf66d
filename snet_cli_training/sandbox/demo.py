"""The flow of `snet training sandbox demo`: the base pipeline of the SDK's training guide, with `snet training`.

Against a sandbox that is up with the demo classifier: metadata, create-model, check-dataset (a
dataset the method refuses, then a good one), validate-price, upload, wait, train-price, train,
wait, a call with the trained model and one with the default model (stock `snet client call`).
Every step runs `snet` as the sandbox's client (in a fork of this process, see snet_runner.py),
prints the exact command and its output, and is checked; the flow stops at the first step that did not do what it should. Last, the
daemon's payment journal must hold each price exactly once.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import time
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from snet_cli_training.sandbox import snet_runner
from snet_cli_training.sandbox.daemon.control_client import DaemonControl

TOPICS = {
    "weather": ["rain and strong wind tomorrow", "sunny and warm in the afternoon",
                "snow is expected in the mountains tonight", "clouds and light showers all day"],
    "sport": ["the striker scored a late goal", "the team won the final match",
              "a great tennis serve won the point", "the runner finished the marathon"],
    "cooking": ["bake the bread in a hot oven", "stir the soup and add salt",
                "chop onions and fry them in butter", "whisk eggs with sugar for the cake"],
}
QUESTION = "what a lovely sunny day, warm and bright"
TRAINED_LABEL, DEFAULT_LABEL = "weather", "positive"
STEP_SECONDS = 120


def snet_command(python: str) -> list[str]:
    """How to run `snet`: the console script beside `python`, else the one on PATH, else the plugin's module."""
    beside = Path(python).with_name("snet")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("snet")
    return [found] if found else [python, "-m", "snet_cli_training"]


def write_datasets(folder: Path) -> tuple[Path, Path]:
    """(a zip the method refuses: it holds a .jpg, a zip of three labelled folders of .txt examples)."""
    folder.mkdir(parents=True, exist_ok=True)
    good, refused = folder / "topics.zip", folder / "topics-with-a-photo.zip"
    for path in (good, refused):
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for label, texts in TOPICS.items():
                for number, text in enumerate(texts, 1):
                    archive.writestr(f"{label}/example{number}.txt", text + "\n")
            if path == refused:
                archive.writestr("weather/sky.jpg", b"\xff\xd8\xff\xe0 not really a photo")
    return refused, good


@dataclass
class StepResult:
    number: int
    title: str
    command: str
    exit_code: int
    expected_exit_code: int
    ok: bool
    problem: str
    seconds: float


@dataclass
class Report:
    steps: list[StepResult] = field(default_factory=list)
    payments: list[dict] = field(default_factory=list)
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem and all(step.ok for step in self.steps)

    @property
    def failed_step(self) -> str:
        failed = next((step for step in self.steps if not step.ok), None)
        return f"{failed.number} ({failed.title}): {failed.problem}" if failed else f"payments: {self.problem}"

    def to_dict(self) -> dict:
        return {"ok": self.ok, "steps": [asdict(step) for step in self.steps], "payments": self.payments,
                "problem": self.problem or None}


class StepFailed(Exception):
    """A step did not do what it should; the flow stops there."""


class _Flow:
    def __init__(self, write: Callable[[str], object], snet: list[str], env: dict[str, str], cwd: Path,
                 total: int) -> None:
        self.write, self.snet, self.env, self.cwd, self.total = write, snet, env, cwd, total
        self.report = Report()

    def step(self, title: str, args: list[str], expected: int = 0, *, shows: str = "") -> str:
        """Run `snet ARGS`, print it and its output; its output, once its exit code is `expected` and it shows `shows`."""
        number = len(self.report.steps) + 1
        command = shlex.join(["snet", *args])
        self.write(f"\n== {number}/{self.total} {title}\n$ {command}\n")
        started = time.monotonic()
        code, output = snet_runner.run(args, self.env, self.cwd, STEP_SECONDS, self.snet)
        self.write(output if output.endswith("\n") or not output else output + "\n")
        problem = ""
        if code != expected:
            problem = f"exit code {code}, expected {expected}"
        elif shows and shows not in output:
            problem = f"its output does not show {shows!r}"
        self.report.steps.append(StepResult(number, title, command, code, expected, not problem, problem,
                                            round(time.monotonic() - started, 2)))
        self.write(f"-> {'ok' if not problem else 'FAILED: ' + problem} (exit code {code})\n")
        if problem:
            raise StepFailed(problem)
        return output


def run(sandbox: object, write: Callable[[str], object], snet: list[str]) -> Report:
    """Run the demo against `sandbox` (a lifecycle.Sandbox that is up); every step written through `write`."""
    network = sandbox.running()["network"]
    org, service, group = network["org_id"], network["service_id"], network["group_name"]
    control = DaemonControl(network["daemon_control"])
    prices = control.configure()
    refused, good = write_datasets(sandbox.folder.demo)
    env = dict(sandbox.env(dict(os.environ), network["identities"]["client"]), PYTHONWARNINGS="ignore")
    flow = _Flow(write, snet, env, sandbox.folder.demo, total=12)
    question = json.dumps({"text": QUESTION})
    try:
        flow.step("Does the service train, and which methods?", ["training", "metadata", org, service],
                  shows="classify")
        created = flow.step("Create a model of its trainable method",
                            ["training", "create-model", org, service, "--name", "topics",
                             "--description", "weather, sport or cooking"], shows="model_id")
        model_id = re.search(r"model_id:\s*'?([0-9A-Za-z_-]+)", created).group(1)
        flow.step("Check a dataset against the method's limits: this one is refused",
                  ["training", "check-dataset", str(refused), "--model-id", model_id], 3, shows="Wrong file type")
        flow.step("Check the good dataset (offline and free)", ["training", "check-dataset", str(good), "--model-id", model_id])
        flow.step("What validation costs", ["training", "validate-price", model_id],
                  shows=f"price_cogs: {prices['validate_price']}")
        flow.step("Pay, upload the dataset and have it validated", ["training", "upload", model_id, str(good), "-y"])
        flow.step("Wait for the validation", ["training", "wait", model_id, "--interval", "0.5"], shows="VALIDATED")
        flow.step("What training costs", ["training", "train-price", model_id], shows=f"price_cogs: {prices['train_price']}")
        flow.step("Pay for training", ["training", "train", model_id, "-y"])
        flow.step("Wait for the training", ["training", "wait", model_id, "--interval", "0.5"], shows="READY_TO_USE")
        flow.step("Ask the trained model", ["training", "call", model_id, "classify", question, "-y"],
                  shows=f'label: "{TRAINED_LABEL}"')
        flow.step("Ask the default model (stock snet client call, no model id)",
                  ["client", "call", org, service, group, "classify", question, "-y"], shows=f'label: "{DEFAULT_LABEL}"')
    except StepFailed:
        return flow.report
    report = flow.report
    report.payments = [{"rpc": p["rpc"], "model_id": p["model_id"], "price_cogs": p["increment"],
                        "signed_amount_cogs": p["amount"]} for p in control.journal()]
    expected = [("upload_and_validate", prices["validate_price"]), ("train_model", prices["train_price"]),
                ("classify", network["service_price_cogs"]), ("classify", network["service_price_cogs"])]
    paid = [(p["rpc"].rsplit("/", 1)[-1], p["price_cogs"]) for p in report.payments]
    if paid != expected:
        report.problem = f"the daemon accepted {paid}, expected each price once: {expected}"
    return report
