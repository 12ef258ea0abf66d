"""Files and directories as go-ipfs 0.4 builds their DAGs: dag-pb nodes with UnixFS data, CIDv0 hashes.

256 KiB chunks, balanced layout, <= 174 links per node: the hashes match a real node's, so
snet-cli's sha256 check of a fetched root block passes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

CHUNK_SIZE = 256 * 1024
MAX_LINKS = 174

_UNIXFS_DIRECTORY = 1
_UNIXFS_FILE = 2
_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = _B58_ALPHABET[rest] + out
    pad = len(data) - len(data.lstrip(b"\0"))
    return "1" * pad + out


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field_varint(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def _field_bytes(number: int, value: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(value)) + value


def _unixfs(kind: int, data: bytes | None = None, filesize: int | None = None,
            blocksizes: tuple[int, ...] = ()) -> bytes:
    out = _field_varint(1, kind)
    if data:
        out += _field_bytes(2, data)
    if filesize is not None:
        out += _field_varint(3, filesize)
    for size in blocksizes:
        out += _field_varint(4, size)
    return out


@dataclass(frozen=True)
class Node:
    """A dag-pb node: its serialized block, CID and cumulative DAG size."""

    block: bytes
    multihash: bytes
    cumulative_size: int
    filesize: int = 0

    @property
    def cid(self) -> str:
        return b58encode(self.multihash)


@dataclass(frozen=True)
class Link:
    name: str
    node: Node


def _node(links: list[Link], data: bytes, filesize: int = 0) -> Node:
    # dag-pb puts links before data; the empty name is still written, as go-ipfs does.
    block = b"".join(
        _field_bytes(2, _field_bytes(1, link.node.multihash)
                     + _field_bytes(2, link.name.encode())
                     + _field_varint(3, link.node.cumulative_size))
        for link in links
    ) + _field_bytes(1, data)
    multihash = b"\x12\x20" + hashlib.sha256(block).digest()
    size = len(block) + sum(link.node.cumulative_size for link in links)
    return Node(block, multihash, size, filesize)


def build_file(content: bytes) -> list[Node]:
    """Return every node of a file's DAG; the root comes last."""
    chunks = [content[i:i + CHUNK_SIZE] for i in range(0, len(content), CHUNK_SIZE)] or [b""]
    layer = [_node([], _unixfs(_UNIXFS_FILE, chunk, len(chunk)), len(chunk))
             for chunk in chunks]
    nodes = list(layer)
    while len(layer) > 1:
        parents = []
        for start in range(0, len(layer), MAX_LINKS):
            children = layer[start:start + MAX_LINKS]
            sizes = tuple(child.filesize for child in children)
            data = _unixfs(_UNIXFS_FILE, None, sum(sizes), sizes)
            parents.append(_node([Link("", c) for c in children], data, sum(sizes)))
        nodes.extend(parents)
        layer = parents
    return nodes


def build_directory(entries: dict[str, Node]) -> Node:
    """A UnixFS directory over named file roots (links sorted by name)."""
    links = [Link(name, entries[name]) for name in sorted(entries)]
    return _node(links, _unixfs(_UNIXFS_DIRECTORY))


def cid_of(content: bytes) -> str:
    """The CIDv0 `ipfs add` gives to these bytes."""
    return build_file(content)[-1].cid
