"""The official snet-sdk (6.0.0) as a client of the local stack, in a child process.

snet.sdk computes its cache and client-library folders from HOME at import time and reads
its configuration from SNET_* environment variables, so it runs in its own process with a
private HOME.  `SdkWorker(stack, identity)` starts ``python -m tests.support.sdk_client``
and sends it one JSON command per line; the child answers one JSON line per command:
``{"ok": result}`` or ``{"error": exception type, "message": str, "details": daemon text}``.

Commands (see `_Worker`): ``training`` (any snet.sdk Training method by name, kwargs as
JSON), ``upload`` (Training.upload_and_validate, optionally mining blocks after the
daemon took the first chunk), ``call`` (a paid call of the service through ServiceClient).
Any command may carry ``stale_blocks``: blocks to mine after the SDK signed its
authorization and before the request is sent.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
_DETAILS = re.compile(r'details = "((?:[^"\\]|\\.)*)"')


class SdkError(Exception):
    """A command failed in the SDK process."""

    def __init__(self, answer: dict) -> None:
        super().__init__(f"{answer['error']}: {answer['message']}")
        self.type, self.message, self.details = answer["error"], answer["message"], answer.get("details")


class SdkWorker:
    """snet-sdk's ServiceClient for org/service/group, acting as `identity`, in a child process."""

    def __init__(self, stack: Any, identity: Any, timeout: float = 60) -> None:
        self.timeout = timeout
        self.home = Path(tempfile.mkdtemp(prefix=f"sdk-{identity.name}-"))
        env = dict(os.environ, HOME=str(self.home), PYTHONWARNINGS="ignore",
                   SNET_PRIVATE_KEY=identity.private_key, SNET_ETH_RPC_ENDPOINT=stack.rpc,
                   SNET_IPFS_ENDPOINT=f"/ip4/127.0.0.1/tcp/{stack.ipfs_port}/http",
                   SNET_MPE_CONTRACT_ADDRESS=stack.mpe_address,
                   SNET_REGISTRY_CONTRACT_ADDRESS=stack.registry_address,
                   SNET_TOKEN_CONTRACT_ADDRESS=stack.token_address,
                   SNET_CONCURRENCY="false", SNET_FORCE_UPDATE="true")
        env.pop("SNET_SIGNER_PRIVATE_KEY", None)
        setup = {"org_id": stack.org_id, "service_id": stack.service_id, "group_name": stack.group_name,
                 "rpc": stack.rpc, "control": getattr(stack.daemon_handle, "control_url", None)}
        # cwd = the private HOME: pydantic-settings would also read a .env file from the cwd.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.sdk_client", json.dumps(setup)], cwd=str(self.home),
            env=dict(env, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=open(self.home / "sdk.log", "wb"), text=True)
        self.ready = self._answer()

    def _answer(self) -> Any:
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(5)
            log = (self.home / "sdk.log").read_text(errors="replace")[-4000:]
            raise RuntimeError(f"the SDK process ended (exit code {self.process.returncode}):\n{log}")
        answer = json.loads(line)
        if "error" in answer:
            raise SdkError(answer)
        return answer["ok"]

    def command(self, op: str, **fields: Any) -> Any:
        self.process.stdin.write(json.dumps(dict(fields, op=op)) + "\n")
        self.process.stdin.flush()
        return self._answer()

    def training(self, method: str, stale_blocks: int = 0, **kwargs: Any) -> Any:
        return self.command("training", method=method, kwargs=kwargs, stale_blocks=stale_blocks)

    def upload(self, model_id: str, path: str | Path, price: int, mine_after_first_chunk: int = 0) -> str:
        return self.command("upload", model_id=model_id, path=str(path), price=price,
                            mine_after_first_chunk=mine_after_first_chunk)

    def call(self, method: str, message_class: str, **kwargs: Any) -> dict:
        return self.command("call", method=method, message_class=message_class, kwargs=kwargs)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process.stdout.close()
        shutil.rmtree(self.home, ignore_errors=True)


# ---- the child process ---------------------------------------------------------------------------

def _rpc(url: str, method: str, params: list) -> Any:
    request = urllib.request.Request(url, json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                                                      "params": params}).encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["result"]


def _jsonable(value: Any) -> Any:
    from enum import Enum

    if isinstance(value, Enum):
        return value.name
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "DESCRIPTOR"):
        from google.protobuf.json_format import MessageToDict

        return MessageToDict(value, preserving_proto_field_name=True)
    properties = [name for name in dir(type(value)) if isinstance(getattr(type(value), name), property)]
    return {name: _jsonable(list(v) if type(v).__name__.startswith("Repeated") else v)
            for name in properties for v in [getattr(value, name)]}


def _daemon_details(exc: BaseException) -> str | None:
    """The daemon's error text from an exception or the exceptions it was raised from."""
    seen = exc
    while seen is not None:
        details = getattr(seen, "details", None)
        if callable(details):
            return details()
        found = _DETAILS.search(str(seen))
        if found:
            return found.group(1).encode().decode("unicode_escape")
        seen = seen.__cause__ or seen.__context__
    return None


class _Worker:
    def __init__(self, setup: dict) -> None:
        from snet.sdk import PaymentStrategyType, SnetSDK

        self.setup = setup
        self.sdk = SnetSDK()
        self.client = self.sdk.create_service_client(
            setup["org_id"], setup["service_id"], setup["group_name"],
            payment_strategy_type=PaymentStrategyType.PAID_CALL)
        self.training_api = self.client.training
        self._sign = self.training_api._get_auth_details
        self.stale_blocks = 0
        self.training_api._get_auth_details = self._auth_details

    def _auth_details(self, method_message: Any) -> Any:
        details = self._sign(method_message)
        if self.stale_blocks:
            _rpc(self.setup["rpc"], "evm_mine", [self.stale_blocks])
        return details

    def run(self, command: dict) -> Any:
        self.stale_blocks = int(command.get("stale_blocks", 0))
        try:
            return getattr(self, "op_" + command["op"])(command)
        finally:
            self.stale_blocks = 0

    def op_training(self, command: dict) -> Any:
        return _jsonable(getattr(self.training_api, command["method"])(**command["kwargs"]))

    def op_call(self, command: dict) -> Any:
        return _jsonable(self.client.call_rpc(command["method"], command["message_class"], **command["kwargs"]))

    def op_upload(self, command: dict) -> Any:
        blocks, model_id = int(command.get("mine_after_first_chunk", 0)), command["model_id"]
        training = self.training_api
        if blocks:
            call_method = training._call_method

            def call_with_moving_chain(method_name: str, request_data: Any, paid: bool = False) -> Any:
                if method_name == "upload_and_validate":
                    request_data = self._mine_after_first(request_data, model_id, blocks)
                return call_method(method_name, request_data=request_data, paid=paid)

            training._call_method = call_with_moving_chain
        try:
            return _jsonable(training.upload_and_validate(model_id, command["path"], command["price"]))
        finally:
            training.__dict__.pop("_call_method", None)

    def _mine_after_first(self, requests: Any, model_id: str, blocks: int) -> Any:
        """The SDK's own requests; once the daemon holds chunk 1, the chain moves `blocks` on."""
        from snet_cli_training.sandbox.daemon.control_client import DaemonControl

        control = DaemonControl(self.setup["control"])
        for number, request in enumerate(requests):
            if number == 1:
                deadline = time.monotonic() + 10
                while not any(u["chunks"] for u in control.model(model_id)["uploads"]):
                    if time.monotonic() > deadline:
                        raise TimeoutError("the daemon never received the first chunk")
                    time.sleep(0.01)
                _rpc(self.setup["rpc"], "evm_mine", [blocks])
            yield request


def main() -> None:
    protocol_out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # the SDK prints progress on stdout: keep it off the command channel
    sys.stdout = sys.stderr

    def answer(payload: dict) -> None:
        protocol_out.write(json.dumps(payload, default=str) + "\n")
        protocol_out.flush()

    def failure(exc: BaseException) -> dict:
        return {"error": type(exc).__name__, "message": str(exc), "details": _daemon_details(exc)}

    try:
        worker = _Worker(json.loads(sys.argv[1]))
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        answer(failure(exc))
        return
    answer({"ok": {"pid": os.getpid()}})
    for line in sys.stdin:
        try:
            answer({"ok": worker.run(json.loads(line))})
        except Exception as exc:  # noqa: BLE001 - reported to the parent
            answer(failure(exc))


if __name__ == "__main__":
    main()
