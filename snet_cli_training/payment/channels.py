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
from snet_cli_training.payment.funding import DEFAULT_CHANNEL_BLOCKS, FundingPlan

# Blocks kept in hand beyond the group's payment_expiration_threshold: the daemon's node may
# be ahead of ours, and a long upload holds the payment until it ends.
EXPIRATION_SAFETY_MARGIN = 240


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
                   margin: int = EXPIRATION_SAFETY_MARGIN) -> ChannelChoice | FundingPlan:
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
        return FundingPlan("open", org_id, group_name, max(price, 1), new_blocks,
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
    return FundingPlan("fund", org_id, group_name, short, new_blocks if expiring else 0,
                      f"payment channel {channel.channel_id} to {org_id}/{group_name} cannot pay: {'; '.join(reasons)}",
                      channel.channel_id, needed=price)
