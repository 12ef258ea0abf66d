"""Paying for one piece of work: choose the channel, quote, ask, sign once, journal, send — and say what it came to.

Order matters for the user's money: the caller runs every free check and the daemon's price RPC
first (the daemon demands exactly the price it last quoted); here the channel is chosen (and
fixed only with its flag and consent), the journal tells a rerun of work already paid for apart
from new work, and the claim is signed only after consent. The daemon commits a payment only
when the call succeeds: a refused call costs nothing. The journal records the answer the moment
it comes, before anything else can fail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from snet_cli_training import errors
from snet_cli_training.console.streams import Console
from snet_cli_training.constants import TOKEN
from snet_cli_training.payment.channels import ChannelChoice, FundingPlan
from snet_cli_training.payment.claim import claim_hash, payment_metadata
from snet_cli_training.payment.journal import ACCEPTED, FAILED, REPORTED, PaymentJournal, PriorPayment, Work, prior_payment
from snet_cli_training.payment.options import PaymentOptions
from snet_cli_training.payment.policy import check_ceiling, consent_to_fix, consent_to_pay
from snet_cli_training.payment.progress import PaymentProgress
from snet_cli_training.payment.quote import Purchase, Quote
from snet_cli_training.payment.wallet import Wallet
from snet_cli_training.snetcli.tokens import cogs_to_token

Send = Callable[[list[tuple[str, Any]]], Any]


@dataclass(frozen=True)
class Payment:
    """What paying came to: the payment keys of the result, whether this run paid, what the call returned.

    `prior` is the earlier accepted payment for the same work when this run did not pay because
    of it. `settle()` records in the journal that the outcome was reported to the user.
    """

    document: dict
    paid: bool
    result: Any = None
    prior: PriorPayment | None = None
    settle: Callable[[], None] = lambda: None


def pay_once(console: Console, wallet: Wallet, journal: PaymentJournal, options: PaymentOptions, progress: PaymentProgress,
             *, work: Work, price: int, send: Send, refuse_repeat: bool = False,
             purchase: Purchase | None = None) -> Payment:
    """Pay `price` for `work` with `send(payment_metadata)`, at most once.

    `purchase` says what is bought in the question. Not paid: a dry run, or work an interrupted
    earlier run already paid for. `refuse_repeat`:
    work that was paid and reported before is refused (NotConfirmed) unless --pay-again.
    """
    if options.pay_again:
        journal.set_aside()
    else:
        journal.entries()  # an unreadable journal stops here, before anything is asked or signed
    choice = _channel(console, wallet, options, work, price)
    if isinstance(choice, Payment):
        return choice
    quote = Quote.from_choice(work.model_id, work.rpc, price, choice, purchase)
    progress.quoted(quote)
    prior = prior_payment(journal.reconcile(choice.channel_id, choice.state), journal.network, work)
    if prior is not None and not options.pay_again:
        if not prior.reported:
            console.say(f"{prior.describe()}, but its command was interrupted; not paying again "
                        "(pass --pay-again to pay for it once more)")
            return Payment(quote.to_dict(paid=False), False, prior=prior,
                           settle=lambda: journal.mark(prior.entry_id, REPORTED))
        if refuse_repeat:
            raise errors.NotConfirmed(f"{prior.describe()}; nothing was paid for it again (pass --pay-again to pay "
                                      "for the same work once more)", quote.to_dict(paid=False))
    if not consent_to_pay(console, quote, options):
        console.say(f"dry run, nothing was signed or paid: the real command would pay {quote.summary()}")
        return Payment(quote.to_dict(paid=False), False)
    signature = wallet.signer.sign_hash(claim_hash(wallet.mpe_address, quote.channel_id, quote.nonce, quote.amount_cogs))
    entry_id = journal.record_signed(quote, work)
    progress.signed()
    try:
        result = send(payment_metadata(rpc=work.rpc, model_id=work.model_id, channel_id=quote.channel_id,
                                       nonce=quote.nonce, amount=quote.amount_cogs, signature=signature))
    except errors.DaemonUnavailable:
        raise  # no answer: the entry stays "signed", resolved from the daemon's state next time
    except errors.DaemonError:
        journal.mark(entry_id, FAILED)
        raise
    progress.accepted(result if isinstance(result, str) else "")
    journal.mark(entry_id, ACCEPTED)
    console.say(f"paid {quote.price_cogs} cogs ({quote.price} {TOKEN}) on channel {quote.channel_id}")
    return Payment(quote.to_dict(paid=True), True, result, settle=lambda: journal.mark(entry_id, REPORTED))


def _channel(console: Console, wallet: Wallet, options: PaymentOptions, work: Work,
             price: int) -> ChannelChoice | Payment:
    """The channel that pays; with its flag and consent a channel fix first; a dry run's report when a fix is due."""
    choice = wallet.choose(price)
    if not isinstance(choice, FundingPlan):
        return choice
    if not options.allows(choice.kind):
        raise errors.ChannelError(choice.message())
    plan = wallet.with_deposit(choice.with_overrides(options.amount, options.expiration_blocks))
    if not consent_to_fix(console, plan, options):
        return _dry_run_before_fix(console, plan, options, work, price)
    console.say(f"# {plan.snet_command()}")
    wallet.apply(plan)
    again = wallet.choose(price)
    if isinstance(again, FundingPlan):
        raise errors.ChannelError(again.message())
    return again


def _dry_run_before_fix(console: Console, fix: FundingPlan, options: PaymentOptions, work: Work, price: int) -> Payment:
    """A dry run's report when the real command would first open or fund the channel (after asking)."""
    document = {"model_id": work.model_id, "rpc": work.rpc, "price_cogs": price, "price": cogs_to_token(price),
                "token": TOKEN, "channel_id": fix.channel_id, "paid": False, "channel_action": fix.snet_command()}
    check_ceiling(price, work.rpc, options, document)
    console.say(f"dry run, nothing was signed, sent or paid: the real command would first run "
                f"`{fix.snet_command()}` (after asking), then pay {price} cogs")
    return Payment(document, False)
