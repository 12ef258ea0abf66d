"""The IPFS stand-in's memory: blocks, file contents and directories, keyed by CID."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from snet_cli_training.sandbox.ipfs.dag import Node, build_directory, build_file


@dataclass
class Store:
    """Blocks, file contents and directories, keyed by CID."""

    blocks: dict[str, bytes] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    directories: dict[str, dict[str, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_file(self, content: bytes) -> Node:
        nodes = build_file(content)
        with self.lock:
            for node in nodes:
                self.blocks[node.cid] = node.block
            self.files[nodes[-1].cid] = content
        return nodes[-1]

    def add_directory(self, entries: dict[str, Node]) -> Node:
        node = build_directory(entries)
        with self.lock:
            self.blocks[node.cid] = node.block
            self.directories[node.cid] = {name: n.cid for name, n in entries.items()}
        return node

    def cat(self, path: str) -> bytes:
        path = path.removeprefix("/ipfs/").strip("/")
        cid, _, rest = path.partition("/")
        with self.lock:
            for name in filter(None, rest.split("/")):
                cid = self.directories.get(cid, {}).get(name, "")
            if cid not in self.files:
                raise KeyError(path)
            return self.files[cid]
