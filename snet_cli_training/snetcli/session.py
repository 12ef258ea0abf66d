"""snet-cli's session for one command: the identity and network, and the MPEClientCommand that reaches them."""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable
from typing import Any, TextIO

from snet_cli_training import errors
from snet_cli_training.snetcli.translate import snet_cli, stdout_to

# The attributes snet-cli's helpers may read from `args`: all exist (None unless set), so none fails.
_SNET_ARGS = ("org_id", "service_id", "group_name", "endpoint", "channel_id", "wallet_index", "yes", "verbose",
              "quiet", "skip_update_check", "multipartyescrow_at", "registry_at", "method", "service", "params",
              "amount", "expiration", "force", "signer", "open_new_anyway", "from_block", "do_not_sync", "only_id")


NO_IDENTITY = "no identity in snet-cli's session: create one with `snet identity create ...`"


def _session_section(config: Any) -> Any:
    return config["session"] if config.has_section("session") else {}


def session_network(config: Any) -> str:
    """The session's network name (no identity needed): what the free reads of a daemon need."""
    network = _session_section(config).get("network")
    if not network or not config.has_section(f"network.{network}"):
        raise errors.ConfigurationError("no network in snet-cli's session: choose one with `snet network NAME`")
    return network


def has_identity(config: Any) -> bool:
    """Whether snet-cli's session names an identity."""
    return bool(_session_section(config).get("identity"))


class _NetworkOnlyConfig:
    """snet-cli's Config of a session with a network and no identity: session fields come from the network.

    Enough for snet-cli's registry and IPFS reads, which sign nothing.
    """

    def __init__(self, config: Any, network: str) -> None:
        self._config, self._network = config, network

    def __getattr__(self, name: str) -> Any:
        return getattr(self._config, name)

    def __getitem__(self, key: str) -> Any:
        return self._config[key]

    def get_session_network_name(self) -> str:
        return self._network

    def safe_get_session_identity_network_names(self) -> tuple[str, str]:
        raise errors.ConfigurationError(NO_IDENTITY)

    def get_session_field(self, key: str, exception_if_not_found: bool = True) -> Any:
        value = self._config[f"network.{self._network}"].get(key)
        if not value and key == "default_ipfs_endpoint":
            value = self._config.get_ipfs_endpoint()
        if not value and exception_if_not_found:
            raise errors.ConfigurationError(f"snet-cli's network {self._network} has no {key}")
        return value


class _NoIdentity:
    """The identity of a session without one: it has no address and signs nothing."""

    address = None

    def __getattr__(self, name: str) -> Any:
        raise errors.ConfigurationError(f"{NO_IDENTITY} (reading a service's training metadata needs none; "
                                        "this step does)")


def check_session(config: Any) -> tuple[str, str]:
    """The session's (identity, network) names; ConfigurationError when snet-cli has no usable identity.

    Runs before any BlockchainCommand exists: without an identity snet-cli prints its
    "create your first identity" help on stdout and exits 1.
    """
    if not has_identity(config):
        raise errors.ConfigurationError(NO_IDENTITY)
    with snet_cli("use snet-cli's session"):
        return config.safe_get_session_identity_network_names()


class SnetSession:
    """One command's use of snet-cli: identity, web3, MPE address, and the command object its helpers live on.

    snet-cli prints progress (channel cache, service init) on the command's output streams: both
    are `out` (stderr), so stdout stays the plugin's.
    """

    def __init__(self, config: Any, *, wallet_index: int, out: TextIO) -> None:
        self.config = config
        self.out = out
        self._wallet_index = wallet_index

    @functools.cached_property
    def network(self) -> str:
        """The session's network name (with an identity, checked to belong to it)."""
        if has_identity(self.config):
            return check_session(self.config)[1]
        return session_network(self.config)

    @functools.cached_property
    def command(self) -> Any:
        """snet-cli's MPEClientCommand for the session, with an args namespace of its own.

        Without an identity it can still read the registry and IPFS (free reads need nothing more).
        """
        network = self.network  # checks the session before snet-cli builds anything
        from snet.cli.commands.mpe_client import MPEClientCommand

        namespace = argparse.Namespace(**dict.fromkeys(_SNET_ARGS))
        namespace.wallet_index = self._wallet_index
        config, ident = self.config, None
        if not has_identity(self.config):
            config, ident = _NetworkOnlyConfig(self.config, network), _NoIdentity()
        with snet_cli("use snet-cli's session identity"), stdout_to(self.out):
            return MPEClientCommand(config, namespace, out_f=self.out, err_f=self.out, ident=ident)

    def identity(self) -> tuple[str, Callable[[bytes], bytes]]:
        """(address, sign) of the session identity: `sign` personal-signs a 32-byte hash; the key stays in snet-cli."""
        command = self.command
        ident = command.ident
        if isinstance(ident, _NoIdentity):
            check_session(self.config)  # the error that says to create one
        address = getattr(ident, "address", None)
        if not address:
            with snet_cli("unlock the session identity", errors.SigningError), stdout_to(self.out):
                command.check_ident()
            address = getattr(ident, "address", None) or ident.get_address()
        return address, ident.sign_message_after_solidity_keccak

    def block_number(self) -> int:
        """The current block of the session's Ethereum node."""
        with snet_cli("read the current block from the Ethereum node", errors.ChainUnavailable):
            return int(self.command.w3.eth.block_number)

    @functools.cached_property
    def chain_id(self) -> int:
        """The chain id of the session's Ethereum node (asked once: it cannot change within a command)."""
        with snet_cli("read the chain id from the Ethereum node", errors.ChainUnavailable):
            return int(self.command.w3.eth.chain_id)

    def mpe_address(self) -> str:
        """The MultiPartyEscrow address of the session's network."""
        with snet_cli("find the MultiPartyEscrow address"):
            return str(self.command.get_mpe_address())
