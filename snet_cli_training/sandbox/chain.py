"""A real EVM (eth-tester on py-evm) behind a small JSON-RPC HTTP server.

Run as ``python -m snet_cli_training.sandbox.chain [--port P]``; when it is ready it prints
one JSON line ``{"rpc": "http://127.0.0.1:PORT"}`` on stdout.  Chain id 1337,
one block per transaction, ``evm_mine [n]`` mines n empty blocks.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from http.server import ThreadingHTTPServer
from typing import Any
from collections.abc import Callable

from eth_keys import keys
from eth_utils import keccak
from snet_cli_training.sandbox import http_base
from snet_cli_training.sandbox.http_base import QuietHandler

CHAIN_ID = 1337
GAS_PRICE = 2 * 10**9
ZERO_ADDRESS = "0x" + "00" * 20
GENESIS_BALANCE = 10**6 * 10**18
GENESIS_GAS_LIMIT = 30_000_000

# Deterministic development keys, derived from fixed seeds so every run of the
# stack has the same addresses.
DEV_ROLES = ("deployer", "provider", "client", "client2", "spare1", "spare2")


# The daemon double names itself, so tests can count a client's chain requests apart from the daemon's.
DAEMON_USER_AGENT = "snet-daemon-double"


def dev_private_key(role: str) -> str:
    """Return the 0x-hex private key of a development account."""
    return "0x" + keccak(text=f"snet-cli-training dev account {role}").hex()


def dev_address(role: str) -> str:
    """Return the checksum address of a development account."""
    private_key = keys.PrivateKey(bytes.fromhex(dev_private_key(role)[2:]))
    return private_key.public_key.to_checksum_address()


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


_KEY_RENAMES = {"coinbase": "miner", "state_root": "stateRoot"}
_QUANTITY_KEYS = {"gas", "gas_price", "value", "nonce", "max_fee_per_gas",
                  "max_priority_fee_per_gas", "chain_id", "type"}


def _hexify(value: Any) -> Any:
    """Turn eth-tester's Python values into JSON-RPC values (camelCase, hex)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "logs_bloom":
                out["logsBloom"] = "0x" + int(item).to_bytes(256, "big").hex()
                continue
            out[_KEY_RENAMES.get(key, _camel(key))] = _hexify(item)
        return out
    if isinstance(value, (list, tuple)):
        return [_hexify(item) for item in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return hex(value)
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    return value


def _inbound_transaction(tx: dict) -> dict:
    """JSON-RPC transaction object -> eth-tester's snake_case dict."""
    out: dict[str, Any] = {}
    for key, value in tx.items():
        name = _snake(key)
        if name == "input":
            name = "data"
        if name in ("access_list", "authorization_list") or value is None:
            continue
        if name in _QUANTITY_KEYS and isinstance(value, str):
            value = int(value, 16)
        out[name] = value
    out.setdefault("from", ZERO_ADDRESS)
    out.pop("nonce", None)
    out.pop("chain_id", None)
    out.pop("type", None)
    return out


def _block_id(value: Any) -> Any:
    if value is None:
        return "latest"
    if isinstance(value, str) and value.startswith("0x"):
        return int(value, 16)
    return value


class Chain:
    """Thread-safe JSON-RPC facade over one EthereumTester instance."""

    def __init__(self) -> None:
        from eth_tester import EthereumTester, PyEVMBackend

        state = PyEVMBackend.generate_genesis_state(num_accounts=0)
        account = {"balance": GENESIS_BALANCE, "storage": {}, "code": b"", "nonce": 0}
        for address in [ZERO_ADDRESS] + [dev_address(role) for role in DEV_ROLES]:
            state[bytes.fromhex(address[2:])] = dict(account)
        params = PyEVMBackend.generate_genesis_params(overrides={"gas_limit": GENESIS_GAS_LIMIT})
        backend = PyEVMBackend(genesis_parameters=params, genesis_state=state)
        # py-evm reads chain_id whenever it builds a VM: 1337-signed txs pass.
        backend.chain.chain_id = CHAIN_ID
        self.tester = EthereumTester(backend=backend)
        self.lock = threading.Lock()
        self.methods: dict[str, Callable[..., Any]] = {
            "web3_clientVersion": lambda: "snet-cli-training/test-chain",
            "net_version": lambda: str(CHAIN_ID),
            "net_listening": lambda: True,
            "net_peerCount": lambda: "0x0",
            "eth_chainId": lambda: hex(CHAIN_ID),
            "eth_syncing": lambda: False,
            "eth_mining": lambda: True,
            "eth_accounts": lambda: [],
            "eth_gasPrice": lambda: hex(GAS_PRICE),
            "eth_maxPriorityFeePerGas": lambda: hex(10**9),
            "eth_blockNumber": self.block_number,
            "eth_getBalance": lambda a, b="latest": hex(self.tester.get_balance(a, _block_id(b))),
            "eth_getCode": lambda a, b="latest": self.tester.get_code(a, _block_id(b)),
            "eth_getStorageAt": lambda a, p, b="latest": self.tester.get_storage_at(
                a, int(p, 16), _block_id(b)),
            "eth_getTransactionCount": lambda a, b="latest": hex(
                self.tester.get_nonce(a, _block_id(b))),
            "eth_getBlockByNumber": self.get_block_by_number,
            "eth_getBlockByHash": self.get_block_by_hash,
            "eth_getTransactionByHash": self.get_transaction,
            "eth_getTransactionReceipt": self.get_receipt,
            "eth_sendRawTransaction": self.send_raw_transaction,
            "eth_call": self.call,
            "eth_estimateGas": self.estimate_gas,
            "eth_getLogs": self.get_logs,
            "eth_feeHistory": self.fee_history,
            "evm_mine": self.mine,
            "test_takeRequestCounts": self.take_request_counts,
        }
        self.request_counts: dict[str, int] = {}

    def count(self, agent: str, method: str) -> None:
        """Count one request of `agent` (the client's User-Agent kind) for `method`."""
        with self.lock:
            key = f"{agent}:{method}"
            self.request_counts[key] = self.request_counts.get(key, 0) + 1

    def dispatch(self, method: str, params: list) -> Any:
        handler = self.methods.get(method)
        if handler is None:
            raise RpcError(-32601, f"the method {method} does not exist/is not available")
        with self.lock:
            return handler(*params)

    def take_request_counts(self) -> dict[str, int]:
        """Requests per method since the last take (for tests that count a command's chain calls)."""
        counts = {m: n for m, n in self.request_counts.items() if not m.endswith(":test_takeRequestCounts")}
        self.request_counts = {}
        return counts

    def block_number(self) -> str:
        return hex(self.tester.get_block_by_number("latest")["number"])

    def _block(self, block: dict) -> dict:
        block = _hexify(block)
        for tx in block.get("transactions", []):
            if isinstance(tx, dict):
                tx["input"] = tx.pop("data", "0x")
        return block

    def get_block_by_number(self, number: Any, full: bool = False) -> dict | None:
        from eth_tester.exceptions import BlockNotFound

        try:
            return self._block(self.tester.get_block_by_number(_block_id(number), full))
        except BlockNotFound:
            return None

    def get_block_by_hash(self, block_hash: str, full: bool = False) -> dict | None:
        from eth_tester.exceptions import BlockNotFound

        try:
            return self._block(self.tester.get_block_by_hash(block_hash, full))
        except BlockNotFound:
            return None

    def get_transaction(self, tx_hash: str) -> dict | None:
        from eth_tester.exceptions import TransactionNotFound

        try:
            tx = _hexify(self.tester.get_transaction_by_hash(tx_hash))
        except TransactionNotFound:
            return None
        tx["input"] = tx.pop("data", "0x")
        return tx

    def get_receipt(self, tx_hash: str) -> dict | None:
        from eth_tester.exceptions import TransactionNotFound

        try:
            receipt = self.tester.get_transaction_receipt(tx_hash)
        except TransactionNotFound:
            return None
        if receipt.get("block_number") is None:
            return None
        receipt = _hexify(receipt)
        receipt["logs"] = [self._log(log) for log in receipt["logs"]]
        receipt.pop("stateRoot", None)
        tx = self.tester.get_transaction_by_hash(tx_hash)
        receipt.setdefault("from", tx["from"])
        receipt.setdefault("to", tx["to"] or None)
        return receipt

    @staticmethod
    def _log(log: dict) -> dict:
        log = dict(log)
        log.pop("type", None)
        log["removed"] = False
        return log

    def send_raw_transaction(self, raw: str) -> str:
        from eth_tester.exceptions import TransactionFailed, ValidationError

        try:
            return self.tester.send_raw_transaction(raw)
        except (TransactionFailed, ValidationError) as exc:
            raise RpcError(-32000, str(exc)) from exc

    def _run(self, fn: Callable, tx: dict, block: Any) -> Any:
        from eth_tester.exceptions import TransactionFailed, ValidationError

        try:
            return fn(_inbound_transaction(tx), _block_id(block))
        except TransactionFailed as exc:
            reason = exc.args[0] if exc.args else ""
            if isinstance(reason, bytes):
                raise RpcError(3, "execution reverted", "0x" + reason.hex()) from exc
            raise RpcError(3, f"execution reverted: {reason}") from exc
        except ValidationError as exc:
            raise RpcError(-32602, str(exc)) from exc

    def call(self, tx: dict, block: Any = "latest", *_overrides: Any) -> str:
        return self._run(self.tester.call, tx, block)

    def estimate_gas(self, tx: dict, block: Any = "latest", *_overrides: Any) -> str:
        return hex(self._run(self.tester.estimate_gas, tx, block))

    def get_logs(self, flt: dict) -> list:
        from_block = _block_id(flt.get("fromBlock", "latest"))
        to_block = _block_id(flt.get("toBlock", "latest"))
        latest = self.tester.get_block_by_number("latest")["number"]
        from_block = latest if from_block == "latest" else 0 if from_block == "earliest" else from_block
        to_block = latest if to_block in ("latest", "pending", "safe", "finalized") else to_block
        logs = self.tester.get_logs(from_block=from_block, to_block=to_block,
                                    address=flt.get("address"), topics=flt.get("topics"))
        return [self._log(log) for log in _hexify(list(logs))]

    def fee_history(self, count: Any, newest: Any, percentiles: list | None = None) -> dict:
        count = int(count, 16) if isinstance(count, str) else int(count)
        latest = self.tester.get_block_by_number("latest")["number"]
        oldest = max(0, latest - count + 1)
        blocks = [self.tester.get_block_by_number(n) for n in range(oldest, latest + 1)]
        return {
            "oldestBlock": hex(oldest),
            "baseFeePerGas": [hex(b.get("base_fee_per_gas", 10**9)) for b in blocks]
            + [hex(blocks[-1].get("base_fee_per_gas", 10**9))],
            "gasUsedRatio": [b["gas_used"] / b["gas_limit"] for b in blocks],
            "reward": [[hex(10**9) for _ in percentiles or []] for _ in blocks],
        }

    def mine(self, count: Any = 1) -> str:
        count = int(count, 16) if isinstance(count, str) else int(count)
        self.tester.mine_blocks(count)
        return self.block_number()


class _Handler(QuietHandler):
    chain: Chain

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        try:
            request = json.loads(self.rfile.read(length))
        except ValueError:
            self._reply({"jsonrpc": "2.0", "id": None,
                         "error": {"code": -32700, "message": "parse error"}})
            return
        if isinstance(request, list):
            self._reply([self._answer(item) for item in request])
        else:
            self._reply(self._answer(request))

    def _answer(self, request: dict) -> dict:
        reply: dict[str, Any] = {"jsonrpc": "2.0", "id": request.get("id")}
        agent = "daemon" if self.headers.get("User-Agent", "") == DAEMON_USER_AGENT else "client"
        self.chain.count(agent, str(request.get("method")))
        try:
            reply["result"] = self.chain.dispatch(request["method"], request.get("params") or [])
        except RpcError as exc:
            error = {"code": exc.code, "message": exc.message}
            if exc.data is not None:
                error["data"] = exc.data
            reply["error"] = error
        except Exception as exc:  # noqa: BLE001 - every failure must reach the client
            reply["error"] = {"code": -32603, "message": f"{type(exc).__name__}: {exc}"}
        return reply

    def _reply(self, payload: Any) -> None:
        body = json.dumps(payload).encode()
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        self.wfile.write(head + body)


def serve(port: int = 0, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """Build the chain and an HTTP server for it (call serve_forever yourself)."""
    return http_base.serve(type("ChainHandler", (_Handler,), {"chain": Chain()}), port, host)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    http_base.run_until_interrupted(serve(args.port), lambda port: {"rpc": f"http://127.0.0.1:{port}"})


if __name__ == "__main__":
    sys.exit(main())
