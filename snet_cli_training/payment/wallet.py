"""The session identity's payment channels to one service group, with the daemon's state of each.

Reads and transactions go through snet-cli (snetcli.channels); the spendable amount comes from the
daemon's GetChannelState, signed by the session identity; which channel pays is decided by the
pure rules of payment.channels.
"""

from __future__ import annotations

from snet_cli_training import errors
from snet_cli_training.daemon.authorization import Signer, recover_signer
from snet_cli_training.daemon.client import DaemonClient
from snet_cli_training.daemon.replies import ChannelState
from snet_cli_training.payment.channels import EXPIRATION_SAFETY_MARGIN, ChannelChoice, choose_channel
from snet_cli_training.payment.funding import FundingPlan
from snet_cli_training.payment.claim import channel_state_hash, claim_hash
from snet_cli_training.services import ServiceGroup
from snet_cli_training.snetcli import channels as snet_channels
from snet_cli_training.snetcli.channels import Channel
from snet_cli_training.snetcli.session import SnetSession


class Wallet:
    """What one identity can pay one group with."""

    def __init__(self, session: SnetSession, group: ServiceGroup, daemon: DaemonClient, signer: Signer, *,
                 margin: int = EXPIRATION_SAFETY_MARGIN) -> None:
        self.session = session
        self.group = group
        self.daemon = daemon
        self.signer = signer
        self.margin = margin
        self.mpe_address = session.mpe_address()

    def current_block(self) -> int:
        return self.session.block_number()

    def daemon_state(self, channel: Channel, block: int) -> ChannelState:
        """GetChannelState from the daemon (signed by the session identity at `block`), verified as snet-cli does.

        The daemon's signed amounts decide what the next claim signs: each must carry a claim
        signature of this channel's sender or signer over exactly that amount, or nothing is signed.
        """
        signature = self.signer.sign_hash(channel_state_hash(self.mpe_address, channel.channel_id, block))
        state = self.daemon.get_channel_state(channel.channel_id, signature, block)
        for nonce, amount, claim in ((state.current_nonce, state.current_signed_amount, state.current_signature),
                                     (state.current_nonce - 1, state.old_nonce_signed_amount, state.old_nonce_signature)):
            if amount and not self._signed_by_channel(channel, nonce, amount, claim):
                raise errors.PaymentError(
                    f"the daemon at {self.daemon.endpoint} reported a signed amount of {amount} cogs on payment channel "
                    f"{channel.channel_id} (nonce {nonce}) that this channel's signer never signed: nothing was signed "
                    "or paid; do not pay this daemon", endpoint=self.daemon.endpoint)
        return state

    def _signed_by_channel(self, channel: Channel, nonce: int, amount: int, signature: bytes) -> bool:
        signer = recover_signer(claim_hash(self.mpe_address, channel.channel_id, nonce, amount), signature)
        return bool(signer) and signer.lower() in (channel.sender.lower(), channel.signer.lower())

    def channels(self) -> list[Channel]:
        """The identity's channels to the group, as the contract holds them."""
        return snet_channels.my_channels(self.session, self.group, self.signer.address)

    def choose(self, price: int) -> ChannelChoice | FundingPlan:
        """The channel that pays `price` now, or the plan that would make one able to."""
        block = self.current_block()
        channels = self.channels()
        candidates = [(channel, self.daemon_state(channel, block)) for channel in channels]
        where = self.group.location
        return choose_channel(candidates, price, current_block=block,
                              expiration_threshold=snet_channels.expiration_threshold(self.session, self.group),
                              org_id=where.org_id, group_name=where.group_name, sender=self.signer.address,
                              margin=self.margin)

    def escrow_balance(self) -> int:
        """The identity's MultiPartyEscrow balance in cogs."""
        return snet_channels.escrow_balance(self.session, self.signer.address)

    def token_balance(self) -> int:
        """The identity's token balance in cogs."""
        return snet_channels.token_balance(self.session, self.signer.address)

    def with_deposit(self, plan: FundingPlan) -> FundingPlan:
        """The plan with the escrow deposit it needs, as the balances are now (ChannelError when tokens are short)."""
        escrow = self.escrow_balance()
        return plan.with_deposit(escrow, self.token_balance() if plan.amount > escrow else 0)

    def apply(self, plan: FundingPlan) -> int:
        """Carry out the plan through snet-cli (consent is the caller's): deposit, then open or extend-and-add; the channel id."""
        now = self.with_deposit(plan)
        if now.deposit > plan.deposit:  # the balances moved since the plan was shown: never more than it says
            raise errors.ChannelError(f"your escrow balance changed since the plan was made (it now needs a deposit of "
                                      f"{now.deposit} cogs, not {plan.deposit}): nothing was done; run the command again")
        plan = now
        if plan.deposit:
            snet_channels.deposit(self.session, plan.deposit)
        if plan.kind == "open":
            return snet_channels.open_channel(self.session, self.group, plan.amount, plan.expiration_blocks)
        if plan.amount or plan.expiration_blocks:
            snet_channels.extend_and_add(self.session, int(plan.channel_id), plan.amount, plan.expiration_blocks)
        return int(plan.channel_id)
