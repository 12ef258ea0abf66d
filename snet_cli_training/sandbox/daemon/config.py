"""The knobs a test turns through the control API: provider settings and injected faults."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field, fields


@dataclass
class ProviderConfig:
    """How the simulated service provider and the daemon's switches behave."""

    validate_price: int = 200
    train_price: int = 300
    validate_seconds: float = 0.3
    train_seconds: float = 0.3
    training_enabled: bool = True
    duplicate_listing: bool = False
    ignore_paging: bool = False  # answer every page of get_all_models with the first one, as a broken daemon could

    def update(self, changes: dict) -> None:
        known = {f.name: f.type for f in fields(self)}
        unknown = set(changes) - set(known)
        if unknown:
            raise ValueError(f"unknown config keys: {sorted(unknown)}")
        for name, value in changes.items():
            setattr(self, name, type(getattr(self, name))(value))

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Faults:
    """One-shot and standing faults.  RPC names are the last path segment (`get_model`, `answer`)."""

    drop_stream_after: int | None = None          # next upload: UNAVAILABLE after N chunks
    unavailable_once: list[str] = field(default_factory=list)  # next call of each: UNAVAILABLE
    reject_next_dataset: bool = False             # next validation ends in ERRORED
    stall: dict[str, float] = field(default_factory=dict)      # seconds to wait before answering
    stall_per_chunk: float = 0.0                  # uploads: seconds to wait after each chunk
    mine_per_chunk: int = 0                       # uploads: blocks the chain mines after each chunk
    stall_after_commit: dict[str, float] = field(default_factory=dict)  # seconds between commit and answer
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def update(self, changes: dict) -> None:
        with self.lock:
            for name, value in changes.items():
                if name == "drop_stream_after":
                    self.drop_stream_after = None if value is None else int(value)
                elif name == "unavailable_once":
                    self.unavailable_once.extend([value] if isinstance(value, str) else value)
                elif name == "reject_next_dataset":
                    self.reject_next_dataset = bool(value)
                elif name == "stall":
                    self.stall.update({rpc: float(seconds) for rpc, seconds in value.items()})
                elif name == "stall_per_chunk":
                    self.stall_per_chunk = float(value)
                elif name == "mine_per_chunk":
                    self.mine_per_chunk = int(value)
                elif name == "stall_after_commit":
                    self.stall_after_commit.update({rpc: float(seconds) for rpc, seconds in value.items()})
                elif name == "clear":
                    self.drop_stream_after, self.reject_next_dataset = None, False
                    self.unavailable_once.clear()
                    self.stall.clear()
                    self.stall_per_chunk, self.mine_per_chunk = 0.0, 0
                    self.stall_after_commit.clear()
                else:
                    raise ValueError(f"unknown fault: {name}")

    def take_unavailable(self, rpc: str) -> bool:
        with self.lock:
            if rpc in self.unavailable_once:
                self.unavailable_once.remove(rpc)
                return True
            return False

    def take_drop_after(self) -> int | None:
        with self.lock:
            count, self.drop_stream_after = self.drop_stream_after, None
            return count

    def take_reject(self) -> bool:
        with self.lock:
            reject, self.reject_next_dataset = self.reject_next_dataset, False
            return reject

    def stall_seconds(self, rpc: str) -> float:
        with self.lock:
            return self.stall.get(rpc, 0.0)

    def per_chunk(self) -> tuple[float, int]:
        with self.lock:
            return self.stall_per_chunk, self.mine_per_chunk

    def after_commit_seconds(self, rpc: str) -> float:
        with self.lock:
            return self.stall_after_commit.get(rpc, 0.0)

    def as_dict(self) -> dict:
        with self.lock:
            return {"drop_stream_after": self.drop_stream_after, "unavailable_once": list(self.unavailable_once),
                    "reject_next_dataset": self.reject_next_dataset, "stall": dict(self.stall),
                    "stall_per_chunk": self.stall_per_chunk, "mine_per_chunk": self.mine_per_chunk,
                    "stall_after_commit": dict(self.stall_after_commit)}
