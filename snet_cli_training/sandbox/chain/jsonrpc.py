"""JSON-RPC's side of the chain: its error object and the conversion of values to and from eth-tester's."""

from __future__ import annotations

from typing import Any

ZERO_ADDRESS = "0x" + "00" * 20


class RpcError(Exception):
    """A JSON-RPC error object: code, message and optional data."""

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


def hexify(value: Any) -> Any:
    """Turn eth-tester's Python values into JSON-RPC values (camelCase, hex)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "logs_bloom":
                out["logsBloom"] = "0x" + int(item).to_bytes(256, "big").hex()
                continue
            out[_KEY_RENAMES.get(key, _camel(key))] = hexify(item)
        return out
    if isinstance(value, (list, tuple)):
        return [hexify(item) for item in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return hex(value)
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    return value


def inbound_transaction(tx: dict) -> dict:
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


def block_id(value: Any) -> Any:
    """A JSON-RPC block parameter as eth-tester takes it: a number or a tag such as "latest"."""
    if value is None:
        return "latest"
    if isinstance(value, str) and value.startswith("0x"):
        return int(value, 16)
    return value
