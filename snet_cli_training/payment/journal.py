"""The payment journal: what this machine signed, so that a payment whose answer was lost is not paid twice.

A call can be interrupted or time out after the daemon committed its payment; the only trace is
the daemon's signed amount. Each payment is journaled as "signed" before it is sent and marked
"accepted" or "failed" once the answer is known; unanswered ones are resolved against the
daemon's channel state before the next payment on that channel. The file is a private file
(see privatefile): a corrupt or foreign one is ignored with a warning.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from snet_cli_training import privatefile
from snet_cli_training.daemon.replies import ChannelState
from snet_cli_training.payment.quote import RPC_WORDS, Quote

FILE_NAME = "payments.json"
SIGNED, ACCEPTED, FAILED = "signed", "accepted", "failed"
_JOURNAL_FORMAT = "snet-cli-training/payments"
_JOURNAL_VERSION = 1
# Resolved entries beyond this many are dropped, oldest first; unresolved ones are kept.
MAX_JOURNAL_ENTRIES = 1000
_ENTRY_FIELDS = {"id": str, "network": str, "channel_id": int, "nonce": int, "amount": int, "price": int,
                 "model_id": str, "rpc": str, "time": str, "state": str}


@dataclass(frozen=True)
class PriorPayment:
    """An earlier payment for the same model and RPC that the daemon accepted.

    `outcome_was_known` is False when the command that paid never saw the answer (interrupted,
    timed out) and the daemon's channel state showed afterwards that the payment went through.
    """

    model_id: str
    rpc: str
    channel_id: int
    nonce: int
    amount_cogs: int
    price_cogs: int
    time: str
    outcome_was_known: bool

    def describe(self) -> str:
        return (f"already paid for {RPC_WORDS[self.rpc]} of model {self.model_id} (channel {self.channel_id}, "
                f"amount {self.amount_cogs} cogs, price {self.price_cogs} cogs, {self.time}); the daemon accepted it")


def reconcile_entries(entries: list[dict], *, network: str, channel_id: int, state: ChannelState
                      ) -> tuple[list[dict], list[str]]:
    """Resolve this channel's "signed" entries against the daemon's state; returns (entries, ids resolved accepted).

    The daemon commits a payment only when its call succeeds, so its signed amount for the
    nonce is at least an entry's amount exactly when that payment (or a later one, which
    needed it first) was accepted; lower means the attempt was rolled back. Entries of older
    nonces (the provider claimed since) cannot be judged and are left as they are.
    """
    updated, accepted_now = [], []
    for entry in entries:
        if entry["state"] == SIGNED and entry["network"] == network and entry["channel_id"] == channel_id:
            if entry["nonce"] == state.current_nonce:
                daemon_amount = state.current_signed_amount
            elif entry["nonce"] == state.current_nonce - 1:
                daemon_amount = state.old_nonce_signed_amount
            else:
                daemon_amount = None
            if daemon_amount is not None:
                entry = dict(entry, state=ACCEPTED if daemon_amount >= entry["amount"] else FAILED)
                if entry["state"] == ACCEPTED:
                    accepted_now.append(entry["id"])
        updated.append(entry)
    return updated, accepted_now


def prior_payment(entries: list[dict], *, network: str, model_id: str, rpc: str,
                  resolved_now: Sequence[str] = ()) -> PriorPayment | None:
    """The latest accepted payment for (network, model, rpc) in the journal, if any."""
    matching = [e for e in entries if e["state"] == ACCEPTED and e["network"] == network
                and e["model_id"] == model_id and e["rpc"] == rpc]
    if not matching:
        return None
    entry = matching[-1]
    return PriorPayment(model_id=model_id, rpc=rpc, channel_id=entry["channel_id"], nonce=entry["nonce"],
                        amount_cogs=entry["amount"], price_cogs=entry["price"], time=entry["time"],
                        outcome_was_known=entry["id"] not in resolved_now)


def _is_entry(entry: Any) -> bool:
    return (isinstance(entry, dict) and all(isinstance(entry.get(name), kind) and not isinstance(entry.get(name), bool)
                                            for name, kind in _ENTRY_FIELDS.items())
            and entry["state"] in (SIGNED, ACCEPTED, FAILED))


def _is_journal(document: Any) -> bool:
    return (isinstance(document, dict) and document.get("format") == _JOURNAL_FORMAT
            and document.get("version") == _JOURNAL_VERSION and isinstance(document.get("entries"), list)
            and all(_is_entry(entry) for entry in document["entries"]))


def _prune(entries: list[dict]) -> list[dict]:
    excess = len(entries) - MAX_JOURNAL_ENTRIES
    if excess <= 0:
        return entries
    kept = []
    for entry in entries:
        if excess > 0 and entry["state"] != SIGNED:
            excess -= 1
            continue
        kept.append(entry)
    return kept


class PaymentJournal:
    """`payments.json` of the plugin's folder, for one network."""

    def __init__(self, path: Path, *, network: str, warn: Callable[[str], None]) -> None:
        self.path = Path(path)
        self.network = network
        self._warn = warn

    def entries(self) -> list[dict]:
        """The journal's entries, oldest first ([] when absent or ignored)."""
        document = privatefile.read_trusted(self.path, _is_journal, self._warn)
        return list(document["entries"]) if document else []

    def reconcile(self, channel_id: int, state: ChannelState, *, model_id: str, rpc: str) -> PriorPayment | None:
        """Resolve unanswered payments on the channel; the accepted earlier payment for (model, rpc), if any."""
        with privatefile.locked(self.path):
            before = self.entries()
            entries, accepted_now = reconcile_entries(before, network=self.network, channel_id=channel_id,
                                                      state=state)
            if entries != before:
                self._write(entries)
        return prior_payment(entries, network=self.network, model_id=model_id, rpc=rpc, resolved_now=accepted_now)

    def record_signed(self, quote: Quote) -> str:
        """Journal a payment about to be sent; returns its entry id."""
        entry = {"id": uuid.uuid4().hex, "network": self.network, "channel_id": quote.channel_id,
                 "nonce": quote.nonce, "amount": quote.amount_cogs, "price": quote.price_cogs,
                 "model_id": quote.model_id, "rpc": quote.rpc, "state": SIGNED,
                 "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
        with privatefile.locked(self.path):
            self._write([*self.entries(), entry])
        return entry["id"]

    def mark(self, entry_id: str, state: str) -> None:
        """Set an entry's outcome ("accepted" or "failed")."""
        if state not in (ACCEPTED, FAILED):
            raise ValueError(f"an outcome is {ACCEPTED!r} or {FAILED!r}, not {state!r}")
        with privatefile.locked(self.path):
            entries = [dict(e, state=state) if e["id"] == entry_id else e for e in self.entries()]
            self._write(entries)

    def _write(self, entries: list[dict]) -> None:
        privatefile.write_atomic(self.path, {"format": _JOURNAL_FORMAT, "version": _JOURNAL_VERSION,
                                          "entries": _prune(entries)})
