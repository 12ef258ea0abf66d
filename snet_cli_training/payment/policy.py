"""The options of a paid command and the one rule that turns them into go or no-go.

`--max-price` is a ceiling, never consent: a price above it is refused (exit 6) even with `-y` or
`--dry-run`. `--dry-run` never asks and never signs. Otherwise the confirmation rule decides
(console.consent). Channel transactions get their own question under the same rule, without a
ceiling (docs/commands.md#confirmation-rule).
"""

from __future__ import annotations

from snet_cli_training import errors
from snet_cli_training.console.consent import require_consent
from snet_cli_training.console.streams import Console
from snet_cli_training.constants import RPC_WORDS, TOKEN
from snet_cli_training.payment.channels import FundingPlan
from snet_cli_training.payment.options import PaymentOptions
from snet_cli_training.payment.quote import Quote
from snet_cli_training.snetcli.tokens import cogs_to_token


def check_ceiling(price_cogs: int, rpc: str, options: PaymentOptions, document: dict) -> None:
    """Refuse (NotConfirmed carrying `document`) when the price is above `--max-price`."""
    if options.max_price is not None and price_cogs > options.max_price:
        raise errors.NotConfirmed(
            f"the price of {RPC_WORDS[rpc]} is {price_cogs} cogs ({cogs_to_token(price_cogs)} {TOKEN}), "
            f"above --max-price {options.max_price} cogs: nothing was paid", document)


def consent_to_pay(console: Console, quote: Quote, options: PaymentOptions) -> bool:
    """True: sign and pay. False: a dry run. NotConfirmed (with the unpaid quote): above the ceiling, or no consent."""
    unpaid = quote.to_dict(paid=False)
    check_ceiling(quote.price_cogs, quote.rpc, options, unpaid)
    if options.verbose:
        console.say(quote.details())
    if options.dry_run:
        return False
    require_consent(console, quote.describe(), yes=options.yes, what="pay", document=unpaid)
    return True


def consent_to_fix(console: Console, plan: FundingPlan, options: PaymentOptions, document: dict | None = None) -> bool:
    """True: send the plan's transactions. False: a dry run. NotConfirmed (carrying `document`): no consent."""
    if options.dry_run:
        return False
    require_consent(console, plan.describe(), yes=options.yes, what="send the transactions", document=document)
    return True
