"""Client for the daemon double's control API (see daemon.py)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any


class DaemonControl:
    """`DaemonControl("http://127.0.0.1:C").reset()`, `.journal()`, `.models()`, ..."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def _call(self, method: str, path: str, body: dict | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def reset(self) -> dict:
        """Fresh models, journal, payment ledger, faults, config and start-up behaviour; answers {"reset_seconds": s}."""
        return self._call("POST", "/reset", {})

    def journal(self) -> list[dict]:
        """Accepted payments: channel_id, nonce, amount, increment, rpc, model_id, payment_type, time."""
        return self._call("GET", "/journal")

    def models(self) -> list[dict]:
        """Raw model records, with prices and uploads (sha256, size, chunks with auth blocks)."""
        return self._call("GET", "/models")

    def model(self, model_id: str) -> dict:
        return next(m for m in self.models() if m["model_id"] == model_id)

    def configure(self, **settings: Any) -> dict:
        """validate_price, train_price, validate_seconds, train_seconds, training_enabled, duplicate_listing, ignore_paging."""
        return self._call("POST", "/config", settings)

    def fault(self, **faults: Any) -> dict:
        """drop_stream_after=N, unavailable_once="rpc"|[...], reject_next_dataset=True, stall={"rpc": s}, clear=True."""
        return self._call("POST", "/fault", faults)

    def behave(self, **settings: Any) -> dict:
        """behaviour="intended"|"v6.0"|"v6.0-dynamic-pricing"|"v6.1"|"v6.2", daemon_version="..." (None: the release's own),
        blockchain_network="..."; answers what behaviour() does."""
        return self._call("POST", "/behaviour", settings)

    def behaviour(self) -> dict:
        """{"behaviour", "daemon_version", "blockchain_network", "crashes": [{"rpc", "cause", ...}]}."""
        return self._call("GET", "/behaviour")

    def set_status(self, model_id: str, status: str | int) -> dict:
        return self._call("POST", "/status", {"model_id": model_id, "status": status})
