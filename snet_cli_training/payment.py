"""Paying a training RPC: the quote, the one confirmation rule, the claim signature and its headers, the journal.

A paid call goes: price RPC (the daemon stores the price) → `prepare` (channel choice through
snet-cli, the daemon's channel state, reconciliation with the journal) → `confirm` → `pay`
(sign last-signed + price, journal it, call). The daemon accepts a payment only when the
increment equals its stored price exactly, and commits it only when the call succeeds: a
refused or failed call costs nothing and leaves the channel's signed amount where it was.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from eth_utils import keccak, to_checksum_address

from snet_cli_training import errors, jsonfile
from snet_cli_training.consent import require_consent
from snet_cli_training.channels import ChannelChoice, ChannelProblem, SessionChannels
from snet_cli_training.client import ChannelState

TOKEN = "FET"
TRAINING_RPCS = ("upload_and_validate", "validate_model", "train_model")
RPCS = (*TRAINING_RPCS, "call")
# Unary training calls accept only train-call; the upload stream accepts escrow and train-call,
# both priced from the model's ValidatePrice, so train-call serves all three. A service call is escrow.
TRAIN_CALL = "train-call"
ESCROW = "escrow"

_RPC_WORDS = {"upload_and_validate": "the upload", "validate_model": "validation", "train_model": "training",
              "call": "the call"}

T = TypeVar("T")


def _token(cogs: int) -> str:
    from snet.cli.utils.token2cogs import cogs2strtoken

    return cogs2strtoken(cogs)


@dataclass(frozen=True)
class Quote:
    """What one paid call will sign: the price on top of the channel's last signed amount."""

    model_id: str
    rpc: str
    price_cogs: int
    channel_id: int
    nonce: int
    last_signed_amount_cogs: int
    channel_value_cogs: int
    channel_expiration: int
    amount_cogs: int = field(init=False)

    def __post_init__(self) -> None:
        if self.rpc not in RPCS:
            raise ValueError(f"unknown paid rpc {self.rpc!r}")
        if self.price_cogs < 0 or self.last_signed_amount_cogs < 0:
            raise ValueError("prices and amounts are never negative")
        object.__setattr__(self, "amount_cogs", self.last_signed_amount_cogs + self.price_cogs)

    @classmethod
    def from_choice(cls, model_id: str, rpc: str, price_cogs: int, choice: ChannelChoice) -> Quote:
        """The quote for paying `price_cogs` through a chosen channel."""
        return cls(model_id=model_id, rpc=rpc, price_cogs=price_cogs, channel_id=choice.channel_id,
                   nonce=choice.nonce, last_signed_amount_cogs=choice.last_signed_amount,
                   channel_value_cogs=choice.channel.value, channel_expiration=choice.channel.expiration)

    @property
    def price(self) -> str:
        """The price in FET, by snet-cli's conversion."""
        return _token(self.price_cogs)

    @property
    def amount(self) -> str:
        """The signed cumulative amount in FET."""
        return _token(self.amount_cogs)

    def to_dict(self, paid: bool) -> dict:
        """CLI.md's payment keys of the upload / validate / train result."""
        return {"model_id": self.model_id, "rpc": self.rpc, "price_cogs": self.price_cogs, "price": self.price,
                "token": TOKEN, "channel_id": self.channel_id, "nonce": self.nonce,
                "signed_amount_cogs": self.amount_cogs, "paid": paid}

    def describe(self) -> str:
        """The confirmation question: price, channel and what will be signed."""
        return (f"Pay {self.price_cogs} cogs ({self.price} {TOKEN}) for {_RPC_WORDS[self.rpc]} of model "
                f"{self.model_id} from payment channel {self.channel_id}? This signs a cumulative amount of "
                f"{self.amount_cogs} cogs ({self.amount} {TOKEN}) at nonce {self.nonce} (last signed "
                f"{self.last_signed_amount_cogs} cogs; channel value {self.channel_value_cogs} cogs).")


def confirm(env: Any, quote_or_text: Quote | str, *, yes: bool, max_price: int | None, dry_run: bool) -> bool:
    """CLI.md's confirmation rule, the only place that decides whether to ask: True = go ahead and sign.

    A price above `max_price` is NotConfirmed (exit 6) even with `yes` or `dry_run`: the
    ceiling is a refusal, not consent. `dry_run` returns False without asking. `yes` is
    consent. Otherwise the question needs a terminal (stdin and stderr TTYs) and a yes.
    """
    quote = quote_or_text if isinstance(quote_or_text, Quote) else None
    question = quote.describe() if quote is not None else str(quote_or_text)
    if quote is not None and max_price is not None and quote.price_cogs > max_price:
        raise errors.NotConfirmed(
            f"the price of {_RPC_WORDS[quote.rpc]} is {quote.price_cogs} cogs ({quote.price} {TOKEN}), "
            f"above --max-price {max_price} cogs: nothing was paid", quote.to_dict(paid=False))
    if dry_run:
        return False
    try:
        require_consent(env, question, yes=yes, what="pay" if quote is not None else "do this")
    except errors.NotConfirmed as refused:
        raise errors.NotConfirmed(str(refused), quote.to_dict(paid=False) if quote is not None else None) from None
    return True


def claim_hash(mpe_address: str, channel_id: int, nonce: int, amount: int) -> bytes:
    """keccak("__MPE_claim_message" ‖ mpe ‖ uint256 channel ‖ uint256 nonce ‖ uint256 amount)."""
    return keccak(b"__MPE_claim_message" + bytes.fromhex(to_checksum_address(mpe_address)[2:])
                  + int(channel_id).to_bytes(32, "big") + int(nonce).to_bytes(32, "big")
                  + int(amount).to_bytes(32, "big"))


def sign_claim(signer: Any, mpe_address: str, quote: Quote) -> bytes:
    """The 65-byte personal signature (auth.Signer) authorizing the quote's cumulative amount."""
    return signer.sign_hash(claim_hash(mpe_address, quote.channel_id, quote.nonce, quote.amount_cogs))


def payment_metadata(quote: Quote, signature: bytes, payment_type: str | None = None) -> list[tuple[str, Any]]:
    """The gRPC metadata of the paid call; the type defaults to train-call (training RPCs) or escrow (call)."""
    kind = payment_type or (ESCROW if quote.rpc == "call" else TRAIN_CALL)
    metadata: list[tuple[str, Any]] = [
        ("snet-payment-type", kind),
        ("snet-payment-channel-id", str(quote.channel_id)),
        ("snet-payment-channel-nonce", str(quote.nonce)),
        ("snet-payment-channel-amount", str(quote.amount_cogs)),
        ("snet-payment-channel-signature-bin", bytes(signature)),
    ]
    if quote.rpc in TRAINING_RPCS:
        metadata.append(("snet-train-model-id", quote.model_id))
    return metadata


# --- the payment journal -------------------------------------------------------------------

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
        return (f"already paid for {_RPC_WORDS[self.rpc]} of model {self.model_id} (channel {self.channel_id}, "
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
    """What this machine signed, so that a payment whose answer was lost is not paid twice.

    A call can be interrupted or time out after the daemon committed its payment; the only
    trace is the daemon's signed amount. Each payment is journaled as "signed" before it is
    sent and marked "accepted" or "failed" once the answer is known; unanswered ones are
    resolved against the daemon's channel state before the next payment on that channel.
    The file (JSON, 0600, replaced atomically, locked across processes) is a hint: a corrupt
    or foreign one is ignored with a warning.
    """

    def __init__(self, path: Path, *, network: str, warn: Callable[[str], None]) -> None:
        self.path = Path(path)
        self.network = network
        self._warn = warn

    @classmethod
    def for_environment(cls, env: Any, network: str) -> PaymentJournal:
        """`payments.json` in the environment's training directory."""
        return cls(env.training_dir / "payments.json", network=network, warn=env.warn)

    def entries(self) -> list[dict]:
        """The journal's entries, oldest first ([] when absent or ignored)."""
        document = jsonfile.read_trusted(self.path, _is_journal, self._warn)
        return list(document["entries"]) if document else []

    def reconcile(self, channel_id: int, state: ChannelState, *, model_id: str, rpc: str) -> PriorPayment | None:
        """Resolve unanswered payments on the channel; the accepted earlier payment for (model, rpc), if any."""
        with jsonfile.locked(self.path):
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
        with jsonfile.locked(self.path):
            self._write([*self.entries(), entry])
        return entry["id"]

    def mark(self, entry_id: str, state: str) -> None:
        """Set an entry's outcome ("accepted" or "failed")."""
        if state not in (ACCEPTED, FAILED):
            raise ValueError(f"an outcome is {ACCEPTED!r} or {FAILED!r}, not {state!r}")
        with jsonfile.locked(self.path):
            entries = [dict(e, state=state) if e["id"] == entry_id else e for e in self.entries()]
            self._write(entries)

    def _write(self, entries: list[dict]) -> None:
        jsonfile.write_atomic(self.path, {"format": _JOURNAL_FORMAT, "version": _JOURNAL_VERSION,
                                          "entries": _prune(entries)})


# --- the whole payment ---------------------------------------------------------------------

def channel_for_payment(env: Any, channels: SessionChannels, price: int, *, open_channel: bool = False,
                        fund: bool = False, yes: bool, dry_run: bool, amount: int | None = None) -> ChannelChoice:
    """The channel that pays `price`; with `open_channel` / `fund`, opens or funds one first, after consent.

    The transaction gets its own question (confirmation rule, no price ceiling): escrow funds
    never move silently. `amount` puts more than the shortfall in. A dry run sends nothing
    and reports the problem.
    """
    try:
        return channels.choose(price)
    except ChannelProblem as problem:
        fix = problem.fix
        if not (open_channel if fix.kind == "open" else fund):
            raise
        if amount is not None and amount > fix.amount:
            fix = type(fix)(fix.kind, fix.org_id, fix.group_name, amount, fix.expiration_blocks, fix.channel_id)
        if not confirm(env, fix.describe(), yes=yes, max_price=None, dry_run=dry_run):
            raise ChannelProblem(f"{problem} (dry run: no transaction was sent)", fix) from None
        env.say(f"# {fix.snet_command()}")
        channels.apply(fix)
    return channels.choose(price)


def prepare(env: Any, channels: SessionChannels, journal: PaymentJournal, *, model_id: str, rpc: str, price: int,
            open_channel: bool = False, fund: bool = False, yes: bool = False, dry_run: bool = False
            ) -> tuple[Quote, PriorPayment | None]:
    """Choose the channel, quote the payment and reconcile the journal; nothing is signed yet.

    Call the daemon's price RPC just before (it stores the price the payment must equal),
    then `confirm`, then `pay` — unless a PriorPayment says the work was already paid for.
    """
    choice = channel_for_payment(env, channels, price, open_channel=open_channel, fund=fund, yes=yes,
                                 dry_run=dry_run)
    quote = Quote.from_choice(model_id, rpc, price, choice)
    return quote, journal.reconcile(choice.channel_id, choice.state, model_id=model_id, rpc=rpc)


def pay(quote: Quote, *, signer: Any, mpe_address: str, journal: PaymentJournal,
        call: Callable[[list[tuple[str, Any]]], T]) -> T:
    """Sign the quote, journal it, and run `call(payment_metadata)`; the outcome goes into the journal.

    A daemon error means the payment was rolled back ("failed"). No answer (unreachable,
    deadline, Ctrl-C) leaves it "signed", to be resolved from the daemon's state next time.
    """
    signature = sign_claim(signer, mpe_address, quote)
    entry_id = journal.record_signed(quote)
    try:
        result = call(payment_metadata(quote, signature))
    except errors.DaemonUnavailable:
        raise
    except errors.DaemonError:
        journal.mark(entry_id, FAILED)
        raise
    journal.mark(entry_id, ACCEPTED)
    return result
