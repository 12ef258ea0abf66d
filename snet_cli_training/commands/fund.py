"""`fund (MODEL_ID | ORG SERVICE)`: get the payment channel ready for the work ahead in one consented step.

The daemon's prices are per model, so `--for upload,train,call` needs MODEL_ID; with ORG SERVICE
the amount is given (`--amount`) or only `call` (the group's fixed price) can be named. One plan
(deposit, open or extend-and-add, expiry) is shown in cogs and FET, confirmed once, and carried
out through snet-cli's own account and channel code; never more than the plan shows.
"""

from __future__ import annotations

from snet_cli_training import errors
from snet_cli_training.commands.context import Context
from snet_cli_training.commands.invocation import Invocation
from snet_cli_training.commands.outcome import Outcome
from snet_cli_training.payment.channels import ChannelChoice
from snet_cli_training.payment.funding import FundingPlan
from snet_cli_training.payment.policy import consent_to_fix
from snet_cli_training.payment.wallet import Wallet
from snet_cli_training.services import Location
from snet_cli_training.snetcli.tokens import cogs_to_token

WORK_NAMES = ("upload", "train", "call")


def fund(inv: Invocation) -> Outcome:
    """Work out what the named work needs, propose one plan, carry it out after one confirmation."""
    with Context(inv) as ctx:
        location, need = _location_and_need(ctx, inv)
        wallet = ctx.wallet(location)
        choice, plan = _plan(wallet, need, inv.payment.expiration_blocks)
        if plan is None:
            ctx.console.say(f"nothing to do: payment channel {choice.channel_id} can pay {need} cogs")
            return Outcome.structured(_state(wallet, need, choice, [], done=True))
        refused = _state(wallet, need, choice, plan.steps(), done=False)
        ctx.console.say(f"to pay {need} cogs ({cogs_to_token(need)} FET) for the work ahead: {plan.describe()}")
        if not consent_to_fix(ctx.console, plan, inv.payment, refused):
            ctx.console.say(f"dry run, nothing was sent: the plan is `{plan.snet_command()}`")
            return Outcome.structured(refused)
        ctx.console.say(f"# {plan.snet_command()}")
        wallet.apply(plan)
        return Outcome.structured(_state(wallet, need, wallet.choose(need), plan.steps(), done=True))


def _location_and_need(ctx: Context, inv: Invocation) -> tuple[Location, int]:
    """Where the channel goes and how many cogs it must be able to pay."""
    if len(inv.target) == 2:
        org_id, service_id = inv.target
        location = ctx.service_group(org_id, service_id, inv.where.group_name).location
        model_id = None
    else:
        model_id = inv.target[0]
        location = ctx.known_model(model_id).location
    if inv.payment.amount is not None:
        return location, inv.payment.amount
    work = inv.fund_for or (WORK_NAMES if model_id else ())
    return location, sum(_price(ctx, location, model_id, name) for name in work)


def _price(ctx: Context, location: Location, model_id: str | None, work: str) -> int:
    daemon = ctx.daemon(location.endpoint)
    if work == "upload":
        return daemon.validate_model_price(str(model_id))
    if work == "train":
        return daemon.train_model_price(str(model_id))
    price = ctx.service_group(location.org_id, location.service_id, location.group_name).price_in_cogs
    if price is None:
        raise errors.ConfigurationError(f"group {location.group_name} of {location.service} has no fixed call price")
    return price


def _plan(wallet: Wallet, need: int,
          expiration_blocks: int | None) -> tuple[ChannelChoice | FundingPlan, FundingPlan | None]:
    """The wallet's choice for `need`, and the plan that makes a channel able to pay it (and expire no sooner
    than asked), or None when the chosen channel can."""
    choice = wallet.choose(need)
    if isinstance(choice, FundingPlan):
        return choice, wallet.with_deposit(choice.with_overrides(expiration_blocks=expiration_blocks))
    if expiration_blocks and choice.channel.expiration < choice.current_block + expiration_blocks:
        where = wallet.group.location
        return choice, FundingPlan("fund", where.org_id, where.group_name, 0, expiration_blocks,
                                   f"payment channel {choice.channel_id} expires at block {choice.channel.expiration}",
                                   choice.channel_id, needed=need)
    return choice, None


def _state(wallet: Wallet, need: int, choice: ChannelChoice | FundingPlan, steps: list[dict], *, done: bool) -> dict:
    """The fund JSON document: the plan, whether it was carried out, and the escrow and the chosen channel."""
    if isinstance(choice, ChannelChoice):
        channel = choice.channel
    elif choice.channel_id is None:  # a channel yet to be opened
        channel = None
    else:
        channel = next((c for c in wallet.channels() if c.channel_id == choice.channel_id), None)
    return {"plan": steps, "done": done, "need_cogs": need, "escrow_cogs": wallet.escrow_balance(),
            "channel_id": channel.channel_id if channel else None, "channel_value_cogs": channel.value if channel else None,
            "expiration": channel.expiration if channel else None}
