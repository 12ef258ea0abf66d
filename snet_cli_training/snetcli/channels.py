"""The session identity's payment channels and escrow, read and changed through snet-cli's own channel code.

snet-cli owns channel management: its channel cache (`~/.snet/cache/mpe/...`) finds the channels
opened to a group, its contract helpers read their on-chain state, and its own open / extend-and-add
code sends the transactions. The caller decides when (payment.funding), after consent.
"""

from __future__ import annotations

from dataclasses import dataclass

from snet_cli_training import errors
from snet_cli_training.services import ServiceGroup
from snet_cli_training.snetcli.session import SnetSession
from snet_cli_training.snetcli.translate import arguments, snet_cli, stdout_to

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


def my_channels(session: SnetSession, group: ServiceGroup, address: str) -> list[Channel]:
    """Channels to the group's payment address and group id whose sender or signer is `address`."""
    command, me = session.command, address.lower()
    with snet_cli("read the payment channels", errors.ChannelError), stdout_to(session.out):
        listed = command._get_filtered_channels(recipient=group.payment_address, group_id=group.group_id)
        mine = [c for c in listed if me in (c["sender"].lower(), c["signer"].lower())]
        states = [command._get_channel_state_from_blockchain(c["channel_id"]) for c in mine]
    return [Channel(channel_id=int(c["channel_id"]), sender=s["sender"], signer=s["signer"], recipient=s["recipient"],
                    group_id=bytes(s["groupId"]), value=int(s["value"]), expiration=int(s["expiration"]),
                    nonce=int(s["nonce"]))
            for c, s in zip(mine, states, strict=True)]


def expiration_threshold(session: SnetSession, group: ServiceGroup) -> int:
    """The group's payment_expiration_threshold from the organization metadata in snet-cli's cache."""
    org_id = group.location.org_id
    with snet_cli("read the organization metadata", errors.ChannelError), stdout_to(session.out):
        found = session.command._read_metadata_for_org(org_id).get_group_by_group_id(group.group_id)
    if found is None:
        raise errors.ConfigurationError(f"organization {org_id} has no payment group with id {group.group_id}")
    return int(found.payment.payment_expiration_threshold or 0)


def escrow_balance(session: SnetSession, address: str) -> int:
    """The address's MultiPartyEscrow balance in cogs (what a channel can be funded from)."""
    with snet_cli("read the escrow balance", errors.ChannelError), stdout_to(session.out):
        return int(session.command.call_contract_command("MultiPartyEscrow", "balances", [address]))


def token_balance(session: SnetSession, address: str) -> int:
    """The address's token balance in cogs (what an escrow deposit can take)."""
    with snet_cli("read the token balance", errors.ChannelError), stdout_to(session.out):
        return int(session.command.call_contract_command("FetchToken", "balanceOf", [address]))


def deposit(session: SnetSession, amount: int) -> None:
    """Move `amount` cogs from the token balance into escrow with snet-cli's own `snet account deposit` code."""
    from snet.cli.commands.mpe_account import MPEAccountCommand

    command = session.command
    with snet_cli("deposit into escrow", errors.ChannelError), stdout_to(session.out), \
            arguments(command.args, amount=amount, yes=True, verbose=False, quiet=True):
        MPEAccountCommand.deposit_to_mpe(command)


def open_channel(session: SnetSession, group: ServiceGroup, amount: int, expiration_blocks: int) -> int:
    """Open a channel to the group with `amount` cogs from escrow, expiring in `expiration_blocks`; its id."""
    command, where = session.command, group.location
    settings = _transaction_settings(amount, expiration_blocks)
    with snet_cli("open the payment channel", errors.ChannelError), stdout_to(session.out), \
            arguments(command.args, org_id=where.org_id, group_name=where.group_name, **settings):
        metadata = command._read_metadata_for_org(where.org_id)
        return int(command._open_channel_for_org(metadata)["channel_id"])


def extend_and_add(session: SnetSession, channel_id: int, amount: int, expiration_blocks: int) -> None:
    """Add `amount` cogs (0: none) and/or move the expiration `expiration_blocks` from now (0: keep it)."""
    command = session.command
    settings = _transaction_settings(amount, expiration_blocks)
    with snet_cli("fund the payment channel", errors.ChannelError), stdout_to(session.out), \
            arguments(command.args, **settings):
        command._channel_extend_add_funds_with_channel_id(channel_id)


def _transaction_settings(amount: int, expiration_blocks: int) -> dict:
    return {"amount": amount or None, "expiration": f"+{expiration_blocks}blocks" if expiration_blocks else None,
            "force": expiration_blocks > SNET_MAX_BLOCKS_WITHOUT_FORCE, "signer": None, "yes": True,
            "verbose": False, "quiet": True}
