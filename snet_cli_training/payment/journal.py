"""The payment journal: what this machine signed and for which work, so that no work is paid twice by accident.

A call can be interrupted or time out after the daemon committed its payment; the only trace is
the daemon's signed amount. Each payment is journaled as "signed" (with the work it pays for: the
dataset's sha256, the link, a hash of the call's request) before it is sent; "accepted" or
"failed" the moment the answer is known; "reported" once the command printed its outcome.
Unanswered ones are resolved against the daemon's channel state before the next payment on that
channel. An accepted payment that was never reported is an interrupted run's: the rerun of the
same work does not pay again. A journal that cannot be read is never overwritten: paying stops
until the user fixes the file or passes --pay-again (which moves it aside, keeping its bytes).
"""

from __future__ import annotations

import datetime
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from snet_cli_training import errors, privatefile
from snet_cli_training.constants import RPC_WORDS
from snet_cli_training.daemon.replies import ChannelState
from snet_cli_training.payment.quote import Quote

FILE_NAME = "payments.json"
SIGNED, ACCEPTED, FAILED, REPORTED = "signed", "accepted", "failed", "reported"
STATES = (SIGNED, ACCEPTED, FAILED, REPORTED)
PAID = (ACCEPTED, REPORTED)
_FORMAT = "snet-cli-training/payments"
_VERSION = 2
# Version 1 entries did not say what work they paid for: they stand for any work of their model and RPC.
ANY_WORK = "*"
# Resolved entries beyond this many are dropped, oldest first; unresolved and unreported ones are kept.
MAX_JOURNAL_ENTRIES = 1000
_COUNTS = ("channel_id", "nonce", "amount", "price")
_TEXTS = ("id", "network", "model_id", "rpc", "work", "time", "state")


@dataclass(frozen=True)
class Work:
    """What a payment pays for: an RPC for a model, and what it was given (sha256:…, link:…, request:…, or "")."""

    rpc: str
    model_id: str
    subject: str = ""

    def describe(self) -> str:
        return f"{RPC_WORDS[self.rpc]} of model {self.model_id}"


@dataclass(frozen=True)
class PriorPayment:
    """An earlier payment the daemon accepted for the same work; `reported` is False when its command never said so."""

    work: Work
    channel_id: int
    nonce: int
    amount_cogs: int
    price_cogs: int
    time: str
    reported: bool
    entry_id: str

    def describe(self) -> str:
        return (f"already paid {self.price_cogs} cogs for {self.work.describe()} (channel {self.channel_id}, "
                f"signed amount {self.amount_cogs} cogs, {self.time}); the daemon accepted it")


class JournalUnreadable(errors.TrainingError):
    """The journal exists but cannot be trusted: whether earlier work was paid is unknown."""


def _is_entry(entry: Any) -> bool:
    return (isinstance(entry, dict)
            and all(isinstance(entry.get(name), int) and not isinstance(entry.get(name), bool) and entry[name] >= 0
                    for name in _COUNTS)
            and all(isinstance(entry.get(name), str) for name in _TEXTS)
            and entry["state"] in STATES and entry["rpc"] in RPC_WORDS)


def _is_journal(document: Any) -> bool:
    if not isinstance(document, dict) or document.get("format") != _FORMAT or not isinstance(document.get("entries"), list):
        return False
    if document.get("version") == 1:
        document["entries"] = [_upgraded(entry) for entry in document["entries"]]
    elif document.get("version") != _VERSION:
        return False
    return all(_is_entry(entry) for entry in document["entries"])


def _upgraded(entry: Any) -> Any:
    """A version 1 entry in version 2's terms: any work; an accepted one had been reported."""
    if not isinstance(entry, dict):
        return entry
    state = REPORTED if entry.get("state") == ACCEPTED else entry.get("state")
    return {**entry, "work": ANY_WORK, "state": state}


def reconcile_entries(entries: list[dict], *, network: str, channel_id: int, state: ChannelState) -> list[dict]:
    """This channel's "signed" entries resolved against the daemon's state.

    The daemon commits a payment only when its call succeeds, so its signed amount for the
    nonce is at least an entry's amount exactly when that payment (or a later one, which
    needed it first) was accepted; lower means the attempt was rolled back. Entries of older
    nonces (the provider claimed since) cannot be judged and are left as they are.
    """
    updated = []
    for entry in entries:
        if entry["state"] == SIGNED and entry["network"] == network and entry["channel_id"] == channel_id:
            daemon_amount = {state.current_nonce: state.current_signed_amount,
                             state.current_nonce - 1: state.old_nonce_signed_amount}.get(entry["nonce"])
            if daemon_amount is not None:
                entry = dict(entry, state=ACCEPTED if daemon_amount >= entry["amount"] else FAILED)
        updated.append(entry)
    return updated


def prior_payment(entries: list[dict], network: str, work: Work) -> PriorPayment | None:
    """The latest accepted payment for exactly this work on this network, if any."""
    matching = [e for e in entries if e["state"] in PAID and e["network"] == network and e["model_id"] == work.model_id
                and e["rpc"] == work.rpc and e["work"] in (work.subject, ANY_WORK)]
    return _prior(matching[-1], work) if matching else None


def _prior(entry: dict, work: Work) -> PriorPayment:
    return PriorPayment(work=work, channel_id=entry["channel_id"], nonce=entry["nonce"], amount_cogs=entry["amount"],
                        price_cogs=entry["price"], time=entry["time"], reported=entry["state"] == REPORTED,
                        entry_id=entry["id"])


def _prune(entries: list[dict]) -> list[dict]:
    excess = len(entries) - MAX_JOURNAL_ENTRIES
    kept = []
    for entry in entries:
        if excess > 0 and entry["state"] in (FAILED, REPORTED):
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
        self._warned: set[str] = set()

    def entries(self) -> list[dict]:
        """The journal's entries, oldest first ([] when there is no journal); JournalUnreadable when it cannot be read."""
        try:
            document = privatefile.read_json(self.path, _is_journal, repair_mode=self._warn_once)
        except privatefile.Unreadable as problem:
            raise JournalUnreadable(
                f"the payment journal {self.path} cannot be read ({problem}), so whether earlier work was already "
                "paid is unknown: nothing was paid. Fix or remove the file, or pass --pay-again to move it aside "
                "and pay anyway") from None
        return list(document["entries"]) if document else []

    def set_aside(self) -> Path | None:
        """Move an unreadable journal aside (its bytes kept); the new path, or None when it was readable."""
        try:
            self.entries()
            return None
        except JournalUnreadable:
            aside = self.path.with_name(f"{self.path.name}.unreadable-{datetime.datetime.now():%Y%m%d-%H%M%S}")
            os.replace(self.path, aside)
            self._warn_once(f"the unreadable payment journal was moved to {aside}; a new one starts")
            return aside

    def reconcile(self, channel_id: int, state: ChannelState) -> list[dict]:
        """Resolve this channel's unanswered payments from the daemon's state; the journal's entries afterwards."""
        with privatefile.locked(self.path):
            before = self.entries()
            entries = reconcile_entries(before, network=self.network, channel_id=channel_id, state=state)
            return self._write(entries) if entries != before else before

    def prior(self, work: Work) -> PriorPayment | None:
        """The latest accepted payment for this work, if any."""
        return prior_payment(self.entries(), self.network, work)

    def record_signed(self, quote: Quote, work: Work) -> str:
        """Journal a payment about to be sent; returns its entry id."""
        entry = {"id": uuid.uuid4().hex, "network": self.network, "channel_id": quote.channel_id,
                 "nonce": quote.nonce, "amount": quote.amount_cogs, "price": quote.price_cogs,
                 "model_id": work.model_id, "rpc": work.rpc, "work": work.subject, "state": SIGNED,
                 "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
        with privatefile.locked(self.path):
            self._write([*self.entries(), entry])
        return entry["id"]

    def mark(self, entry_id: str, state: str) -> None:
        """Set an entry's state: "accepted" or "failed" when the daemon answered, "reported" once the outcome was printed."""
        if state not in (ACCEPTED, FAILED, REPORTED):
            raise ValueError(f"a journal entry becomes {ACCEPTED!r}, {FAILED!r} or {REPORTED!r}, not {state!r}")
        with privatefile.locked(self.path):
            self._write([dict(e, state=state) if e["id"] == entry_id else e for e in self.entries()])

    def unreported(self, model_id: str) -> list[PriorPayment]:
        """Accepted payments for a model whose commands never reported them (interrupted), oldest first."""
        return [_prior(entry, Work(entry["rpc"], model_id, entry["work"])) for entry in self.entries()
                if entry["state"] == ACCEPTED and entry["network"] == self.network and entry["model_id"] == model_id]

    def _write(self, entries: list[dict]) -> list[dict]:
        """Write the journal (its oldest settled entries pruned past the limit); the entries written."""
        kept = _prune(entries)
        privatefile.write_atomic(self.path, {"format": _FORMAT, "version": _VERSION, "entries": kept})
        return kept

    def _warn_once(self, message: str) -> None:
        if message not in self._warned:
            self._warned.add(message)
            self._warn(message)
