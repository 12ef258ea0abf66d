"""An IPFS HTTP API stand-in that stores content under real CIDv0 hashes.

Run as ``python -m snet_cli_training.sandbox.ipfs [--port P]``; when ready it prints one JSON
line ``{"ipfs": "http://127.0.0.1:PORT", "port": PORT}`` on stdout.  It answers
what ipfshttpclient 0.4.13 sends for snet-cli and snet-sdk: version, add
(multipart, chunked, wrap-with-directory), cat (CID or CID/name), block/get,
block/stat, pin/add and id.

Files become dag-pb nodes with UnixFS data exactly as go-ipfs 0.4 builds them
(256 KiB chunks, balanced layout, <= 174 links per node), so the hashes match a
real node's and snet-cli's sha256 check of the root block passes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from snet_cli_training.sandbox import http_base
from snet_cli_training.sandbox.http_base import QuietHandler

CHUNK_SIZE = 256 * 1024
MAX_LINKS = 174
IPFS_VERSION = "0.4.23"

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


def _multipart_files(body: bytes, content_type: str) -> list[tuple[str, bytes]]:
    """(file name, content) of every file part of a multipart/form-data body."""
    boundary = content_type.split("boundary=", 1)[1].split(";")[0].strip().strip('"')
    files = []
    for part in body.split(b"--" + boundary.encode())[1:]:
        if part.startswith(b"--"):
            break
        head, _, content = part.partition(b"\r\n\r\n")
        headers = head.decode("utf-8", "replace").lower()
        if "application/x-directory" in headers:
            continue
        name = ""
        for line in head.decode("utf-8", "replace").split("\r\n"):
            if line.lower().startswith("content-disposition") and "filename=" in line:
                name = unquote(line.split("filename=", 1)[1].split(";")[0].strip().strip('"'))
        files.append((name.rsplit("/", 1)[-1], content.removesuffix(b"\r\n")))
    return files


class _Handler(QuietHandler):
    store: Store

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        head = (f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
                f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n")
        self.wfile.write(head.encode() + body)

    def _error(self, message: str) -> None:
        self._send(500, json.dumps({"Message": message, "Code": 0, "Type": "error"}).encode())

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        command = url.path.removeprefix("/api/v0/")
        query = parse_qs(url.query)
        args = query.get("arg", [])
        body = self._body()
        try:
            if command == "version":
                self._json({"Version": IPFS_VERSION, "Commit": "", "Repo": "7",
                            "System": "amd64/linux", "Golang": "go1.13"})
            elif command == "id":
                self._json({"ID": "QmStandIn", "Addresses": [], "AgentVersion":
                            f"go-ipfs/{IPFS_VERSION}/", "ProtocolVersion": "ipfs/0.1.0"})
            elif command == "add":
                self._add(body, self.headers.get("Content-Type", ""), query)
            elif command == "cat":
                self._send(200, self.store.cat(args[0]), "text/plain")
            elif command == "block/get":
                self._send(200, self.store.blocks[args[0].removeprefix("/ipfs/")],
                           "text/plain")
            elif command == "block/stat":
                block = self.store.blocks[args[0]]
                self._json({"Key": args[0], "Size": len(block)})
            elif command in ("pin/add", "pin/rm"):
                self._json({"Pins": args})
            else:
                self._send(404, f"404 page not found: {command}".encode(), "text/plain")
        except (KeyError, IndexError) as exc:
            self._error(f"merkledag: not found ({exc})")

    # ipfshttpclient 0.4.13 sends plain queries as GET and uploads as POST.
    do_GET = do_POST

    def _json(self, payload: Any) -> None:
        self._send(200, json.dumps(payload).encode())

    def _add(self, body: bytes, content_type: str, query: dict[str, list[str]]) -> None:
        lines = []
        entries: dict[str, Node] = {}
        for name, content in _multipart_files(body, content_type):
            node = self.store.add_file(content)
            entries[name] = node
            lines.append({"Name": name or node.cid, "Hash": node.cid,
                          "Size": str(node.cumulative_size)})
        if query.get("wrap-with-directory", ["false"])[0].lower() == "true":
            directory = self.store.add_directory(entries)
            lines.append({"Name": "", "Hash": directory.cid,
                          "Size": str(directory.cumulative_size)})
        self._send(200, "".join(json.dumps(line) + "\n" for line in lines).encode())


def serve(port: int = 0, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """An IPFS stand-in server with an empty store (call serve_forever yourself)."""
    return http_base.serve(type("IpfsHandler", (_Handler,), {"store": Store()}), port, host)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    http_base.run_until_interrupted(serve(args.port),
                                    lambda port: {"ipfs": f"http://127.0.0.1:{port}", "port": port})


if __name__ == "__main__":
    main()
