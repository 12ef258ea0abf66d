"""The double's control API: HTTP JSON routes a test uses to reset, inspect and steer the daemon double."""

from __future__ import annotations

import json
import threading
from http.server import ThreadingHTTPServer
from typing import Any

from snet_cli_training.sandbox import http_base
from snet_cli_training.sandbox.daemon.double import DaemonDouble
from snet_cli_training.sandbox.http_base import QuietHandler


def _control_handler(double: DaemonDouble) -> type:
    class ControlHandler(QuietHandler):
        def do_GET(self) -> None:
            routes = {
                "/journal": lambda: list(double.payments.journal),
                "/models": lambda: [r.raw() for r in list(double.store.models.values())],
                "/config": double.config.as_dict,
                "/fault": double.faults.as_dict,
                "/behaviour": double.behaviour.as_dict,
            }
            self._answer(routes.get(self.path))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            routes = {
                "/reset": lambda: {"reset_seconds": double.reset()},
                "/config": lambda: (double.config.update(body), double.config.as_dict())[1],
                "/fault": lambda: (double.faults.update(body), double.faults.as_dict())[1],
                "/behaviour": lambda: (double.behaviour.update(body), double.behaviour.as_dict())[1],
                "/status": lambda: double.set_status(body["model_id"], body["status"]),
            }
            self._answer(routes.get(self.path))

        def _answer(self, route: Any) -> None:
            if route is None:
                self._send(404, {"error": f"no route {self.command} {self.path}"})
                return
            try:
                self._send(200, route())
            except (KeyError, ValueError, TypeError) as exc:
                self._send(400, {"error": f"{type(exc).__name__}: {exc}"})

        def _send(self, code: int, payload: Any) -> None:
            self.send_body(code, json.dumps(payload, default=lambda o: o.hex() if isinstance(o, bytes) else str(o)).encode())

    return ControlHandler


def serve_control(double: DaemonDouble, port: int = 0) -> ThreadingHTTPServer:
    server = http_base.serve(_control_handler(double), port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
