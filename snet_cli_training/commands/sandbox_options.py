"""`SandboxOptions`: the options of `snet training sandbox ACTION`, read once from argparse."""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class SandboxOptions:
    """`up --provider --proto-dir --daemon-behaviour`, `demo --keep`, `run -- CMD...`."""

    provider: str | None = None
    proto_dir: str | None = None
    daemon_behaviour: str = "intended"
    keep: bool = False
    command: tuple[str, ...] = ()

    @classmethod
    def from_argparse(cls, args: Any) -> SandboxOptions:
        command = list(getattr(args, "sandbox_command", None) or ())
        if command[:1] == ["--"]:
            command = command[1:]
        return cls(provider=getattr(args, "sandbox_provider", None), proto_dir=getattr(args, "sandbox_proto_dir", None),
                   daemon_behaviour=getattr(args, "daemon_behaviour", None) or "intended",
                   keep=bool(getattr(args, "keep", False)), command=tuple(command))
