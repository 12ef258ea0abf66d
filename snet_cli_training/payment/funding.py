"""`FundingPlan`: what would make a channel able to pay — an escrow deposit, opening or extending-and-adding, an expiry.

Pure: the plan is worked out from what the chain and the daemon say (payment.channels, the
wallet) and carried out by the wallet through snet-cli, only after one confirmation.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from snet_cli_training import errors
from snet_cli_training.constants import TOKEN
from snet_cli_training.snetcli.tokens import cogs_to_token

# The expiration suggested for a new or extended channel: 172,800 blocks, about 24 days of 12 s blocks.
DEFAULT_CHANNEL_BLOCKS = 172800


@dataclass(frozen=True)
class FundingPlan:
    """Why no channel can pay (`reason`) and the transactions that fix it: `kind` "open" or "fund" (extend-and-add)."""

    kind: str
    org_id: str
    group_name: str
    amount: int  # cogs into the channel (0: only extend)
    expiration_blocks: int  # relative expiration to set (0: keep the current one)
    reason: str
    channel_id: int | None = None
    needed: int = 0  # cogs the payment needs
    deposit: int = 0  # cogs from the token balance into escrow first

    def with_overrides(self, amount: int | None = None, expiration_blocks: int | None = None) -> FundingPlan:
        """The plan with at least `amount` cogs into the channel and the expiry asked for (`--amount`, `--expiration`)."""
        return dataclasses.replace(self, amount=max(self.amount, amount or 0),
                                   expiration_blocks=expiration_blocks or self.expiration_blocks)

    def with_deposit(self, escrow_cogs: int, token_cogs: int) -> FundingPlan:
        """The plan with the escrow deposit it needs; ChannelError when the token balance cannot cover it."""
        deposit = max(0, self.amount - escrow_cogs)
        if deposit > token_cogs:
            raise errors.ChannelError(
                f"{self.reason}: funding it needs {self.amount} cogs in escrow; you have {escrow_cogs} cogs in escrow "
                f"and {token_cogs} cogs ({cogs_to_token(token_cogs)} {TOKEN}) of tokens, {deposit - token_cogs} cogs "
                "short: get more tokens first")
        return dataclasses.replace(self, deposit=deposit)

    def snet_commands(self) -> list[str]:
        """The stock snet-cli command lines that carry it out (amounts in FET, as snet-cli reads them)."""
        commands = [f"snet account deposit {cogs_to_token(self.deposit)}"] if self.deposit else []
        if self.kind == "open":
            commands.append(f"snet channel open {self.org_id} {self.group_name} {cogs_to_token(self.amount)} "
                            f"+{self.expiration_blocks}blocks")
        elif self.amount or self.expiration_blocks:
            parts = [f"snet channel extend-add-for-org {self.org_id} {self.group_name} --channel-id {self.channel_id}"]
            if self.amount:
                parts.append(f"--amount {cogs_to_token(self.amount)}")
            if self.expiration_blocks:
                parts.append(f"--expiration +{self.expiration_blocks}blocks")
            commands.append(" ".join(parts))
        return commands

    def snet_command(self) -> str:
        return " && ".join(self.snet_commands())

    def steps(self) -> list[dict]:
        """The plan as the `fund` JSON document lists it, one object per transaction."""
        steps = [{"action": "deposit", "amount_cogs": self.deposit, "amount": cogs_to_token(self.deposit)}] \
            if self.deposit else []
        if self.kind == "open":
            steps.append({"action": "open", "amount_cogs": self.amount, "amount": cogs_to_token(self.amount),
                          "expiration_blocks": self.expiration_blocks})
        elif self.amount or self.expiration_blocks:
            steps.append({"action": "extend-add", "channel_id": self.channel_id, "amount_cogs": self.amount,
                          "amount": cogs_to_token(self.amount), "expiration_blocks": self.expiration_blocks})
        for step, command in zip(steps, self.snet_commands(), strict=True):
            step["snet"] = command
        return steps

    def describe(self) -> str:
        """The question's text: what goes on chain, how much, until when."""
        parts = [f"deposit {self.deposit} cogs ({cogs_to_token(self.deposit)} {TOKEN}) from your tokens into escrow"] \
            if self.deposit else []
        if self.kind == "open":
            parts.append(f"open a payment channel to {self.org_id}/{self.group_name} with {self.amount} cogs "
                         f"({cogs_to_token(self.amount)} {TOKEN}) from escrow, expiring in {self.expiration_blocks} blocks")
        else:
            what = []
            if self.amount:
                what.append(f"add {self.amount} cogs ({cogs_to_token(self.amount)} {TOKEN}) from escrow")
            if self.expiration_blocks:
                what.append(f"extend its expiration to {self.expiration_blocks} blocks from now")
            parts.append(f"on payment channel {self.channel_id} to {self.org_id}/{self.group_name}: {' and '.join(what)}")
        text = "; then ".join(parts)
        count = len(self.snet_commands())
        return f"{text[0].upper()}{text[1:]} ({'an on-chain transaction' if count == 1 else f'{count} on-chain transactions'}: " \
               f"`{self.snet_command()}`)?"

    def message(self) -> str:
        """The error when the plan is not carried out: why, and the commands that fix it."""
        if self.kind == "open":
            return (f"{self.reason}: open one with `{self.snet_command()}` "
                    f"(it needs at least {self.needed} cogs for this payment)")
        return f"{self.reason}. Fix it with `{self.snet_command()}`"
