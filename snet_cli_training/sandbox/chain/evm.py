"""A real EVM: eth-tester on py-evm behind a thread-safe facade that answers JSON-RPC methods."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from eth_tester import EthereumTester, PyEVMBackend
from eth_tester.exceptions import BlockNotFound, TransactionFailed, TransactionNotFound, ValidationError

from snet_cli_training.sandbox.chain import CHAIN_ID, DEV_ROLES, GAS_PRICE, dev_address
from snet_cli_training.sandbox.chain.jsonrpc import ZERO_ADDRESS, RpcError, block_id, hexify, inbound_transaction

GENESIS_BALANCE = 10**6 * 10**18
GENESIS_GAS_LIMIT = 30_000_000


class Chain:
    """Thread-safe JSON-RPC facade over one EthereumTester instance."""

    def __init__(self) -> None:
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
            "eth_getBalance": lambda a, b="latest": hex(self.tester.get_balance(a, block_id(b))),
            "eth_getCode": lambda a, b="latest": self.tester.get_code(a, block_id(b)),
            "eth_getStorageAt": lambda a, p, b="latest": self.tester.get_storage_at(
                a, int(p, 16), block_id(b)),
            "eth_getTransactionCount": lambda a, b="latest": hex(
                self.tester.get_nonce(a, block_id(b))),
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
        # eth_call answers of the current head: state changes only with a new block (one per transaction),
        # and snet reads the same registry entries and channels many times between two blocks.
        self.calls_at_head: tuple[int, dict[str, str]] = (-1, {})

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

    def latest(self) -> int:
        """The number of the last mined block ("latest"), read from the chain's head without building the block."""
        return self.tester.backend.chain.get_canonical_head().block_number

    def block_number(self) -> str:
        return hex(self.latest())

    def _block(self, block: dict) -> dict:
        block = hexify(block)
        for tx in block.get("transactions", []):
            if isinstance(tx, dict):
                tx["input"] = tx.pop("data", "0x")
        return block

    def get_block_by_number(self, number: Any, full: bool = False) -> dict | None:
        try:
            return self._block(self.tester.get_block_by_number(block_id(number), full))
        except BlockNotFound:
            return None

    def get_block_by_hash(self, block_hash: str, full: bool = False) -> dict | None:
        try:
            return self._block(self.tester.get_block_by_hash(block_hash, full))
        except BlockNotFound:
            return None

    def get_transaction(self, tx_hash: str) -> dict | None:
        try:
            tx = hexify(self.tester.get_transaction_by_hash(tx_hash))
        except TransactionNotFound:
            return None
        tx["input"] = tx.pop("data", "0x")
        return tx

    def get_receipt(self, tx_hash: str) -> dict | None:
        try:
            receipt = self.tester.get_transaction_receipt(tx_hash)
        except TransactionNotFound:
            return None
        if receipt.get("block_number") is None:
            return None
        receipt = hexify(receipt)
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
        try:
            return self.tester.send_raw_transaction(raw)
        except (TransactionFailed, ValidationError) as exc:
            raise RpcError(-32000, str(exc)) from exc

    def _run(self, fn: Callable, tx: dict, block: Any) -> Any:
        try:
            return fn(inbound_transaction(tx), block_id(block))
        except TransactionFailed as exc:
            reason = exc.args[0] if exc.args else ""
            if isinstance(reason, bytes):
                raise RpcError(3, "execution reverted", "0x" + reason.hex()) from exc
            raise RpcError(3, f"execution reverted: {reason}") from exc
        except ValidationError as exc:
            raise RpcError(-32602, str(exc)) from exc

    def call(self, tx: dict, block: Any = "latest", *overrides: Any) -> str:
        head = self.latest()
        if overrides or block_id(block) not in ("latest", head):
            return self._run(self.tester.call, tx, block)
        if self.calls_at_head[0] != head:
            self.calls_at_head = (head, {})
        answers = self.calls_at_head[1]
        key = json.dumps(tx, sort_keys=True)
        if key not in answers:  # a revert raises and is not kept
            answers[key] = self._run(self.tester.call, tx, head)
        return answers[key]

    def estimate_gas(self, tx: dict, block: Any = "latest", *_overrides: Any) -> str:
        return hex(self._run(self.tester.estimate_gas, tx, block))

    def get_logs(self, flt: dict) -> list:
        from_block = block_id(flt.get("fromBlock", "latest"))
        to_block = block_id(flt.get("toBlock", "latest"))
        latest = self.latest()
        from_block = latest if from_block == "latest" else 0 if from_block == "earliest" else from_block
        to_block = latest if to_block in ("latest", "pending", "safe", "finalized") else to_block
        logs = self.tester.get_logs(from_block=from_block, to_block=to_block,
                                    address=flt.get("address"), topics=flt.get("topics"))
        return [self._log(log) for log in hexify(list(logs))]

    def fee_history(self, count: Any, newest: Any, percentiles: list | None = None) -> dict:
        count = int(count, 16) if isinstance(count, str) else int(count)
        latest = self.latest()
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
