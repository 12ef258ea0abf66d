"""Paying for one call: choose the channel, quote, ask, sign once, journal, send — and say what it came to.

Order matters for the user's money: the caller runs every free check and the daemon's price RPC
first (the daemon demands exactly the price it last quoted); here the channel is chosen (and
fixed only with its flag and consent), the journal is reconciled so that a retry of work already
paid for is recognised, and the claim is signed only after consent. The daemon commits a payment
only when the call succeeds: a refused call costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from snet_cli_training import errors
from snet_cli_training.console.streams import Console
from snet_cli_training.constants import TOKEN
from snet_cli_training.payment.channels import ChannelFix
from snet_cli_training.payment.claim import claim_hash, payment_metadata
from snet_cli_training.payment.journal import ACCEPTED, FAILED, PaymentJournal, PriorPayment
from snet_cli_training.payment.options import PaymentOptions
from snet_cli_training.payment.policy import check_ceiling, consent_to_fix, consent_to_pay
from snet_cli_training.payment.quote import Purchase, Quote
from snet_cli_training.payment.wallet import Wallet
from snet_cli_training.snetcli.tokens import cogs_to_token

Send = Callable[[list[tuple[str, Any]]], Any]


@dataclass(frozen=True)
class Payment:
    """What paying for one call came to: the payment keys of the result, whether it was paid, and what the call returned."""

    document: dict
    paid: bool
    result: Any = None
    prior: PriorPayment | None = None


def pay_once(console: Console, wallet: Wallet, journal: PaymentJournal, options: PaymentOptions, *,
             model_id: str, rpc: str, price: int, send: Send, purchase: Purchase | None = None) -> Payment:
    """Pay `price` for `rpc` (buying PURCHASE) with `send(payment_metadata)`, at most once; a dry run or a known retry pays nothing."""
    choice = wallet.choose(price)
    if isinstance(choice, ChannelFix):
        if not options.allows(choice.kind):
            raise errors.ChannelError(choice.message())
        if not consent_to_fix(console, choice, options):
            return _dry_run_before_fix(console, choice, options, model_id=model_id, rpc=rpc, price=price)
        console.say(f"# {choice.snet_command()}")
        wallet.apply(choice)
        choice = wallet.choose(price)
        if isinstance(choice, ChannelFix):
            raise errors.ChannelError(choice.message())
    quote = Quote.from_choice(model_id, rpc, price, choice, purchase)
    prior = journal.reconcile(choice.channel_id, choice.state, model_id=model_id, rpc=rpc)
    if prior is not None and not prior.outcome_was_known and not options.pay_again:
        console.say(f"{prior.describe()}; not paying again (pass --pay-again to pay for it once more)")
        return Payment(quote.to_dict(paid=False), False, prior=prior)
    if not consent_to_pay(console, quote, options):
        console.say(f"dry run, nothing was signed or paid: the real command would pay {quote.summary()}")
        return Payment(quote.to_dict(paid=False), False)
    signature = wallet.signer.sign_hash(claim_hash(wallet.mpe_address, quote.channel_id, quote.nonce, quote.amount_cogs))
    entry_id = journal.record_signed(quote)
    try:
        result = send(payment_metadata(rpc=rpc, model_id=model_id, channel_id=quote.channel_id, nonce=quote.nonce,
                                       amount=quote.amount_cogs, signature=signature))
    except errors.DaemonUnavailable:
        raise  # no answer: the entry stays "signed", resolved from the daemon's state next time
    except errors.DaemonError:
        journal.mark(entry_id, FAILED)
        raise
    journal.mark(entry_id, ACCEPTED)
    console.say(f"paid {quote.price_cogs} cogs ({quote.price} {TOKEN}) on channel {quote.channel_id}")
    return Payment(quote.to_dict(paid=True), True, result)


def _dry_run_before_fix(console: Console, fix: ChannelFix, options: PaymentOptions, *, model_id: str, rpc: str,
                        price: int) -> Payment:
    """A dry run's report when the real command would first open or fund the channel (after asking)."""
    document = {"model_id": model_id, "rpc": rpc, "price_cogs": price, "price": cogs_to_token(price), "token": TOKEN,
                "channel_id": fix.channel_id, "paid": False, "channel_action": fix.snet_command()}
    check_ceiling(price, rpc, options, document)
    console.say(f"dry run, nothing was signed, sent or paid: the real command would first run "
                f"`{fix.snet_command()}` (after asking), then pay {price} cogs")
    return Payment(document, False)
