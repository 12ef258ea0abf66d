"""An IPFS HTTP API stand-in over the in-memory store.

Run as ``python -m snet_cli_training.sandbox.ipfs.server [--port P]``; when ready it prints one JSON
line ``{"ipfs": "http://127.0.0.1:PORT", "port": PORT}`` on stdout.  It answers
what ipfshttpclient 0.4.13 sends for snet-cli and snet-sdk: version, add
(multipart, chunked, wrap-with-directory), cat (CID or CID/name), block/get,
block/stat, pin/add and id.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from snet_cli_training.sandbox import http_base
from snet_cli_training.sandbox.http_base import QuietHandler
from snet_cli_training.sandbox.ipfs.dag import Node
from snet_cli_training.sandbox.ipfs.store import Store

IPFS_VERSION = "0.4.23"


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

    def _error(self, message: str) -> None:
        self.send_body(500, json.dumps({"Message": message, "Code": 0, "Type": "error"}).encode())

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
                self.send_body(200, self.store.cat(args[0]), "text/plain")
            elif command == "block/get":
                self.send_body(200, self.store.blocks[args[0].removeprefix("/ipfs/")],
                           "text/plain")
            elif command == "block/stat":
                block = self.store.blocks[args[0]]
                self._json({"Key": args[0], "Size": len(block)})
            elif command in ("pin/add", "pin/rm"):
                self._json({"Pins": args})
            else:
                self.send_body(404, f"404 page not found: {command}".encode(), "text/plain")
        except (KeyError, IndexError) as exc:
            self._error(f"merkledag: not found ({exc})")

    # ipfshttpclient 0.4.13 sends plain queries as GET and uploads as POST.
    do_GET = do_POST

    def _json(self, payload: Any) -> None:
        self.send_body(200, json.dumps(payload).encode())

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
        self.send_body(200, "".join(json.dumps(line) + "\n" for line in lines).encode())


def main(argv: list[str] | None = None) -> None:
    """Serve an empty store until Ctrl-C."""
    http_base.main(__doc__, lambda: type("IpfsHandler", (_Handler,), {"store": Store()}),
                   lambda port: {"ipfs": f"http://127.0.0.1:{port}", "port": port}, argv)


if __name__ == "__main__":
    main()
