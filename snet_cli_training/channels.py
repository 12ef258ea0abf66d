"""The client's payment channel for a service's group: found, checked and fixed through snet-cli.

snet-cli owns channel management: its channel cache (`~/.snet/cache/mpe/...`) finds the
channels opened to a group, its contract helpers read their on-chain state, and its own
`_open_channel_for_org` / `_channel_extend_add_funds_with_channel_id` open and fund them.
This module decides which channel can pay a price, says exactly what is missing, and runs
those snet-cli pieces only after the caller got consent for the transaction.

The spendable part of a channel is not on chain: the daemon keeps the last amount the
client signed. It is read from the daemon's GetChannelState before every payment, never
counted locally, because a failed call leaves it unchanged.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from eth_utils import keccak, to_checksum_address

from snet_cli_training import errors
from snet_cli_training.client import ChannelState

# Blocks kept in hand beyond the group's payment_expiration_threshold: the daemon's node may
# be ahead of ours, and a long upload holds the payment until it ends.
EXPIRATION_SAFETY_MARGIN = 240
# The expiration suggested for a new or extended channel: about 30 days of 15 s blocks.
DEFAULT_CHANNEL_BLOCKS = 172800
# snet-cli refuses expirations further than this without --force.
SNET_MAX_BLOCKS_WITHOUT_FORCE = 1036800


@dataclass(frozen=True)
class Channel:
    """A payment channel as the MultiPartyEscrow contract holds it."""

    channel_id: int
    sender: str
    signer: str
    recipient: str
    group_id: bytes
    value: int
    expiration: int
    nonce: int


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
    """The on-chain transaction that would make a channel able to pay; `kind` is "open" or "fund"."""

    kind: str
    org_id: str
    group_name: str
    amount: int  # cogs to put in (0: only extend)
    expiration_blocks: int  # relative expiration to set (0: keep the current one)
    channel_id: int | None = None

    def snet_command(self) -> str:
        """The stock snet-cli command line that does it (amounts in FET, as snet-cli reads them)."""
        from snet.cli.utils.token2cogs import cogs2strtoken

        if self.kind == "open":
            return (f"snet channel open {self.org_id} {self.group_name} {cogs2strtoken(self.amount)} "
                    f"+{self.expiration_blocks}blocks")
        parts = [f"snet channel extend-add-for-org {self.org_id} {self.group_name} --channel-id {self.channel_id}"]
        if self.amount:
            parts.append(f"--amount {cogs2strtoken(self.amount)}")
        if self.expiration_blocks:
            parts.append(f"--expiration +{self.expiration_blocks}blocks")
        return " ".join(parts)

    def describe(self) -> str:
        """The question's text: what goes on chain, how much, until when."""
        from snet.cli.utils.token2cogs import cogs2strtoken

        if self.kind == "open":
            return (f"Open a payment channel to {self.org_id}/{self.group_name} with {self.amount} cogs "
                    f"({cogs2strtoken(self.amount)} FET) from your escrow balance, expiring in "
                    f"{self.expiration_blocks} blocks (an on-chain transaction: `{self.snet_command()}`)?")
        what = []
        if self.amount:
            what.append(f"add {self.amount} cogs ({cogs2strtoken(self.amount)} FET) from your escrow balance")
        if self.expiration_blocks:
            what.append(f"extend its expiration to {self.expiration_blocks} blocks from now")
        return (f"On payment channel {self.channel_id} to {self.org_id}/{self.group_name}: {' and '.join(what)} "
                f"(an on-chain transaction: `{self.snet_command()}`)?")


class ChannelProblem(errors.ChannelError):
    """No channel can pay the price; `fix` is the transaction that would solve it."""

    def __init__(self, message: str, fix: ChannelFix) -> None:
        super().__init__(message)
        self.fix = fix


def channel_state_hash(mpe_address: str, channel_id: int, block: int) -> bytes:
    """keccak("__get_channel_state" ‖ mpe ‖ uint256 channel ‖ uint256 block), the GetChannelState message."""
    return keccak(b"__get_channel_state" + bytes.fromhex(to_checksum_address(mpe_address)[2:])
                  + int(channel_id).to_bytes(32, "big") + int(block).to_bytes(32, "big"))


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
                   margin: int = EXPIRATION_SAFETY_MARGIN) -> ChannelChoice:
    """The channel that pays `price`: unexpired (past the daemon's threshold and a margin) with enough unspent.

    Among several, the one with the most unspent (then the lowest id). Otherwise ChannelProblem,
    naming the amounts and the snet-cli command that fixes it.
    """
    min_expiration = current_block + expiration_threshold + margin
    judged = [(channel, state, unspent_amount(channel, state)) for channel, state in candidates]
    fitting = [(c, s, u) for c, s, u in judged if c.expiration > min_expiration and u >= price]
    if fitting:
        channel, state, unspent = min(fitting, key=lambda item: (-item[2], item[0].channel_id))
        return ChannelChoice(channel, state, current_block, unspent)
    new_blocks = max(DEFAULT_CHANNEL_BLOCKS, expiration_threshold + margin + 1)
    if not judged:
        fix = ChannelFix("open", org_id, group_name, max(price, 1), new_blocks)
        raise ChannelProblem(
            f"no payment channel from {sender} to {org_id}/{group_name}: open one with `{fix.snet_command()}` "
            f"(it needs at least {price} cogs for this payment)", fix)
    # The newest channel is the one to repair; older ones are usually drained or expired.
    channel, _state, unspent = max(judged, key=lambda item: item[0].channel_id)
    short = max(0, price - unspent)
    expiring = channel.expiration <= min_expiration
    fix = ChannelFix("fund", org_id, group_name, short, new_blocks if expiring else 0, channel.channel_id)
    reasons = []
    if short:
        reasons.append(f"it has {unspent} cogs unspent (value {channel.value}, signed "
                       f"{channel.value - unspent}) and the payment needs {price}: {short} cogs short")
    if expiring:
        reasons.append(f"it expires at block {channel.expiration}, and the daemon needs it to outlive block "
                       f"{min_expiration} (current {current_block} + threshold {expiration_threshold} + margin {margin})")
    raise ChannelProblem(f"payment channel {channel.channel_id} to {org_id}/{group_name} cannot pay: "
                         f"{'; '.join(reasons)}. Fix it with `{fix.snet_command()}`", fix)


class SessionChannels:
    """The session identity's channels to one service group, through snet-cli's MPEClientCommand.

    `command` is service.client_command(...) after service.resolve_service(...) (which loaded
    the org metadata into snet-cli's cache); `target` the ServiceTarget; `daemon` a DaemonClient;
    `signer` the auth.Signer of the session.
    """

    def __init__(self, command: Any, target: Any, daemon: Any, signer: Any, *, out: TextIO = sys.stderr,
                 margin: int = EXPIRATION_SAFETY_MARGIN) -> None:
        self.command = command
        self.target = target
        self.daemon = daemon
        self.signer = signer
        self.out = out
        self.margin = margin

    @property
    def mpe_address(self) -> str:
        return to_checksum_address(self.command.get_mpe_address())

    def current_block(self) -> int:
        try:
            return int(self.command.w3.eth.block_number)
        except Exception as exc:  # noqa: BLE001 - web3 providers raise requests, socket and RPC errors alike
            raise errors.ChainUnavailable(f"cannot read the current block from the Ethereum node: {exc}") from exc

    def expiration_threshold(self) -> int:
        """The group's payment_expiration_threshold from the org metadata in snet-cli's cache."""
        with self._snet_cli("read the organization metadata"):
            metadata = self.command._read_metadata_for_org(self.target.org_id)
            group = metadata.get_group_by_group_id(self.target.group_id)
        if group is None:
            raise errors.ConfigurationError(
                f"organization {self.target.org_id} has no payment group with id {self.target.group_id}")
        return int(group.payment.payment_expiration_threshold or 0)

    def my_channels(self) -> list[Channel]:
        """Channels to the group's payment address and group id whose sender or signer is the session identity."""
        me = self.signer.address.lower()
        with self._snet_cli("read the payment channels"):
            listed = self.command._get_filtered_channels(
                recipient=self.target.payment_address, group_id=self.target.group_id)
            mine = [c for c in listed if me in (c["sender"].lower(), c["signer"].lower())]
            states = [self.command._get_channel_state_from_blockchain(c["channel_id"]) for c in mine]
        return [Channel(channel_id=int(c["channel_id"]), sender=s["sender"], signer=s["signer"],
                        recipient=s["recipient"], group_id=bytes(s["groupId"]), value=int(s["value"]),
                        expiration=int(s["expiration"]), nonce=int(s["nonce"]))
                for c, s in zip(mine, states, strict=True)]

    def daemon_state(self, channel_id: int, block: int) -> ChannelState:
        """GetChannelState from the daemon, signed by the session identity at `block`."""
        signature = self.signer.sign_hash(channel_state_hash(self.mpe_address, channel_id, block))
        return self.daemon.get_channel_state(channel_id, signature, block)

    def choose(self, price: int) -> ChannelChoice:
        """The channel that pays `price` now, or ChannelProblem with its fix."""
        block = self.current_block()
        candidates = [(channel, self.daemon_state(channel.channel_id, block)) for channel in self.my_channels()]
        return choose_channel(candidates, price, current_block=block, expiration_threshold=self.expiration_threshold(),
                              org_id=self.target.org_id, group_name=self.target.group_name,
                              sender=self.signer.address, margin=self.margin)

    def escrow_balance(self) -> int:
        """The identity's MultiPartyEscrow balance in cogs (what a channel can be funded from)."""
        with self._snet_cli("read the escrow balance"):
            return int(self.command.call_contract_command("MultiPartyEscrow", "balances", [self.signer.address]))

    def apply(self, fix: ChannelFix) -> int:
        """Run the fix through snet-cli's own channel code (no questions: consent is the caller's); the channel id."""
        balance = self.escrow_balance()
        if balance < fix.amount:
            from snet.cli.utils.token2cogs import cogs2strtoken

            raise errors.ChannelError(
                f"your escrow balance is {balance} cogs and the channel needs {fix.amount}: deposit first with "
                f"`snet account deposit {cogs2strtoken(fix.amount - balance)}`")
        settings = {"org_id": fix.org_id, "group_name": fix.group_name, "amount": fix.amount or None,
                    "expiration": f"+{fix.expiration_blocks}blocks" if fix.expiration_blocks else None,
                    "force": fix.expiration_blocks > SNET_MAX_BLOCKS_WITHOUT_FORCE, "signer": None,
                    "yes": True, "verbose": False, "quiet": True}
        with self._snet_cli(f"{'open' if fix.kind == 'open' else 'fund'} the payment channel"), \
                _args(self.command.args, settings), contextlib.redirect_stdout(self.out):
            if fix.kind == "open":
                metadata = self.command._read_metadata_for_org(fix.org_id)
                return int(self.command._open_channel_for_org(metadata)["channel_id"])
            self.command._channel_extend_add_funds_with_channel_id(fix.channel_id)
            return int(fix.channel_id)

    @contextlib.contextmanager
    def _snet_cli(self, doing: str) -> Iterator[None]:
        try:
            yield
        except errors.TrainingError:
            raise
        except Exception as exc:  # noqa: BLE001 - snet-cli raises bare Exception, web3 its own
            raise errors.ChannelError(f"cannot {doing} through snet-cli: {exc}") from exc


@contextlib.contextmanager
def _args(namespace: Any, settings: dict) -> Iterator[None]:
    """Set attributes of snet-cli's `args` for one helper call, then put the old ones back."""
    missing = object()
    saved = {name: getattr(namespace, name, missing) for name in settings}
    for name, value in settings.items():
        setattr(namespace, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                delattr(namespace, name)
            else:
                setattr(namespace, name, value)
