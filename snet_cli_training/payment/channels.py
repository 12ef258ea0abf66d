"""Which payment channel can pay a price, and what is missing when none can (pure rules, no I/O).

The spendable part of a channel is not on chain: the daemon keeps the last amount the client
signed, read from its GetChannelState before every payment and never counted locally, because
a failed call leaves it unchanged (docs/protocol.md#payment).
"""

from __future__ import annotations

from dataclasses import dataclass

from snet_cli_training import errors
from snet_cli_training.daemon.replies import ChannelState
from snet_cli_training.snetcli.channels import Channel
from snet_cli_training.snetcli.tokens import cogs_to_token

# Blocks kept in hand beyond the group's payment_expiration_threshold: the daemon's node may
# be ahead of ours, and a long upload holds the payment until it ends.
EXPIRATION_SAFETY_MARGIN = 240
# The expiration suggested for a new or extended channel: about 30 days of 15 s blocks.
DEFAULT_CHANNEL_BLOCKS = 172800


@dataclass(frozen=True)
class ChannelChoice:
    """A channel that can pay, with the daemon's state of it and the block it was judged at."""

    channel: Channel
    state: ChannelState
    current_block: int
    unspent: int

    @property
    def channel_id(self) -> int:
        return self.channel.channel_id

    @property
    def nonce(self) -> int:
        """The nonce to sign with: the daemon's current one."""
        return self.state.current_nonce

    @property
    def last_signed_amount(self) -> int:
        """The daemon's last accepted amount for that nonce (0 before the first payment)."""
        return self.state.current_signed_amount


@dataclass(frozen=True)
class ChannelFix:
    """No channel can pay: why (`reason`), and the transaction that would make one able to (`kind` "open" or "fund")."""

    kind: str
    org_id: str
    group_name: str
    amount: int  # cogs to put in (0: only extend)
    expiration_blocks: int  # relative expiration to set (0: keep the current one)
    reason: str
    channel_id: int | None = None
    needed: int = 0  # cogs the payment needs


    def snet_command(self) -> str:
        """The stock snet-cli command line that does it (amounts in FET, as snet-cli reads them)."""
        if self.kind == "open":
            return (f"snet channel open {self.org_id} {self.group_name} {cogs_to_token(self.amount)} "
                    f"+{self.expiration_blocks}blocks")
        parts = [f"snet channel extend-add-for-org {self.org_id} {self.group_name} --channel-id {self.channel_id}"]
        if self.amount:
            parts.append(f"--amount {cogs_to_token(self.amount)}")
        if self.expiration_blocks:
            parts.append(f"--expiration +{self.expiration_blocks}blocks")
        return " ".join(parts)

    def describe(self) -> str:
        """The question's text: what goes on chain, how much, until when."""
        if self.kind == "open":
            return (f"Open a payment channel to {self.org_id}/{self.group_name} with {self.amount} cogs "
                    f"({cogs_to_token(self.amount)} FET) from your escrow balance, expiring in "
                    f"{self.expiration_blocks} blocks (an on-chain transaction: `{self.snet_command()}`)?")
        what = []
        if self.amount:
            what.append(f"add {self.amount} cogs ({cogs_to_token(self.amount)} FET) from your escrow balance")
        if self.expiration_blocks:
            what.append(f"extend its expiration to {self.expiration_blocks} blocks from now")
        return (f"On payment channel {self.channel_id} to {self.org_id}/{self.group_name}: {' and '.join(what)} "
                f"(an on-chain transaction: `{self.snet_command()}`)?")

    def message(self) -> str:
        """The error when the fix is not applied: why, and the command that fixes it."""
        if self.kind == "open":
            return (f"{self.reason}: open one with `{self.snet_command()}` "
                    f"(it needs at least {self.needed} cogs for this payment)")
        return f"{self.reason}. Fix it with `{self.snet_command()}`"


def unspent_amount(channel: Channel, state: ChannelState) -> int:
    """What the channel can still pay: its value minus what the daemon holds signed and unclaimed.

    After the provider claims, the contract's nonce moves on and the value drops by the claim;
    until the daemon catches up it may still report the claimed nonce's amount as "old".
    """
    if state.current_nonce == channel.nonce:
        return channel.value - state.current_signed_amount
    if state.current_nonce == channel.nonce + 1:
        return channel.value - state.old_nonce_signed_amount - state.current_signed_amount
    raise errors.ChannelError(
        f"payment channel {channel.channel_id}: the daemon's nonce {state.current_nonce} and the contract's "
        f"{channel.nonce} disagree by more than one; wait for the provider's claim to settle")


def choose_channel(candidates: list[tuple[Channel, ChannelState]], price: int, *, current_block: int,
                   expiration_threshold: int, org_id: str, group_name: str, sender: str,
                   margin: int = EXPIRATION_SAFETY_MARGIN) -> ChannelChoice | ChannelFix:
    """The channel that pays `price` (unexpired past the daemon's threshold and a margin, enough unspent), or the fix.

    Among several, the one with the most unspent (then the lowest id).
    """
    min_expiration = current_block + expiration_threshold + margin
    judged = [(channel, state, unspent_amount(channel, state)) for channel, state in candidates]
    fitting = [(c, s, u) for c, s, u in judged if c.expiration > min_expiration and u >= price]
    if fitting:
        channel, state, unspent = min(fitting, key=lambda item: (-item[2], item[0].channel_id))
        return ChannelChoice(channel, state, current_block, unspent)
    new_blocks = max(DEFAULT_CHANNEL_BLOCKS, expiration_threshold + margin + 1)
    if not judged:
        return ChannelFix("open", org_id, group_name, max(price, 1), new_blocks,
                          f"no payment channel from {sender} to {org_id}/{group_name}", needed=price)
    # The newest channel is the one to repair; older ones are usually drained or expired.
    channel, _state, unspent = max(judged, key=lambda item: item[0].channel_id)
    short = max(0, price - unspent)
    expiring = channel.expiration <= min_expiration
    reasons = []
    if short:
        reasons.append(f"it has {unspent} cogs unspent (value {channel.value}, signed "
                       f"{channel.value - unspent}) and the payment needs {price}: {short} cogs short")
    if expiring:
        reasons.append(f"it expires at block {channel.expiration}, and the daemon needs it to outlive block "
                       f"{min_expiration} (current {current_block} + threshold {expiration_threshold} + margin {margin})")
    return ChannelFix("fund", org_id, group_name, short, new_blocks if expiring else 0,
                      f"payment channel {channel.channel_id} to {org_id}/{group_name} cannot pay: {'; '.join(reasons)}",
                      channel.channel_id, needed=price)
