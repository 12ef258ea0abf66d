"""`Context`: the pieces one command builds lazily and once — snet-cli's session, signer, daemons, store.

A command touches the chain, the registry and the daemon only as far as it needs to (`get-model`
of a stored model never resolves the service again). Used as a context manager, it closes the
daemon channels it opened.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable
from typing import Any

from snet_cli_training.console.render import not_found
from snet_cli_training import errors
from snet_cli_training.commands.invocation import Invocation
from snet_cli_training.daemon import signature_cache
from snet_cli_training.daemon.authorization import Authorizer, Signer
from snet_cli_training.daemon.client import DaemonClient
from snet_cli_training.daemon.replies import Model
from snet_cli_training.payment import journal
from snet_cli_training.payment.journal import PaymentJournal
from snet_cli_training.payment.wallet import Wallet
from snet_cli_training.services import Location, ServiceGroup, resolve_method, trainable_methods
from snet_cli_training.snetcli import registry
from snet_cli_training.snetcli.session import SnetSession
from snet_cli_training.store import ModelStore, StoredModel


class _DeferredAuthorizer:
    """The Authorizer, built when a signed RPC first needs it: the daemon's free reads need no identity."""

    def __init__(self, context: Context) -> None:
        self._context = context

    @property
    def signer(self) -> Signer | None:
        """The signer once it exists (error messages name it), else None."""
        return self._context.__dict__["authorizer"].signer if "authorizer" in self._context.__dict__ else None

    def details(self, rpc: str, block: int | None = None) -> Any:
        return self._context.authorizer.details(rpc, block)

    def current_block(self) -> int:
        return self._context.authorizer.current_block()

    def invalidate(self) -> None:
        self._context.authorizer.invalidate()


class Context:
    """Lazily built pieces of snet-cli's session and the plugin's state for one command."""

    def __init__(self, invocation: Invocation) -> None:
        self.invocation = invocation
        self.console = invocation.console
        self._groups: dict[tuple, ServiceGroup] = {}
        self._daemons: dict[str, DaemonClient] = {}

    def __enter__(self) -> Context:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for daemon in self._daemons.values():
            daemon.close()
        self._daemons.clear()

    # --- snet-cli's session ---

    @functools.cached_property
    def snet(self) -> SnetSession:
        return SnetSession(self.invocation.config, wallet_index=self.invocation.wallet_index, out=self.console.stderr)

    @property
    def network(self) -> str:
        return self.snet.network

    @functools.cached_property
    def signer(self) -> Signer:
        address, sign = self.snet.identity()
        return Signer(address, sign)

    @functools.cached_property
    def authorizer(self) -> Authorizer:
        cache = signature_cache.SignatureCache(self.console.training_dir / signature_cache.FILE_NAME,
                                               warn=self.console.warn)
        return Authorizer(self.signer, self.snet.block_number, cache=cache, network=self.network)

    # --- the plugin's files ---

    @functools.cached_property
    def store(self) -> ModelStore:
        return ModelStore(self.console.training_dir, self.console.warn)

    @functools.cached_property
    def journal(self) -> PaymentJournal:
        return PaymentJournal(self.console.training_dir / journal.FILE_NAME, network=self.network, warn=self.console.warn)

    # --- services, daemons, models ---

    def service_group(self, org_id: str, service_id: str, group_name: str | None = None) -> ServiceGroup:
        """The service's payment group and daemon endpoint (--endpoint wins), through snet-cli's registry and IPFS cache."""
        key = (org_id, service_id, group_name)
        if key not in self._groups:
            group = registry.resolve_service(self.snet, org_id, service_id, group_name, self.invocation.where.endpoint)
            # the default group, once resolved, is found under its name too (the wallet asks by name)
            self._groups[key] = self._groups[(org_id, service_id, group.location.group_name)] = group
        return self._groups[key]

    def daemon(self, endpoint: str) -> DaemonClient:
        """A client of the daemon at `endpoint` (one per endpoint per command)."""
        if endpoint not in self._daemons:
            self._daemons[endpoint] = DaemonClient(endpoint, _DeferredAuthorizer(self), timeout=self.invocation.rpc_timeout,
                                                   sleep=self.console.sleep)
        return self._daemons[endpoint]

    def wallet(self, location: Location) -> Wallet:
        """The identity's channels to the group of `location`, with its daemon's state of each."""
        group = self.service_group(location.org_id, location.service_id, location.group_name)
        return Wallet(self.snet, group, self.daemon(location.endpoint), self.signer)

    def service_location(self) -> Location:
        """ORG SERVICE [--group] [--endpoint] of the command line, resolved."""
        where = self.invocation.where
        if not where.org_id or not where.service_id:
            raise errors.UserInputError("an organization and a service are needed (ORG SERVICE, or --org and --service)")
        return self.service_group(where.org_id, where.service_id, where.group_name).location

    def known_model(self, model_id: str) -> StoredModel:
        """Where MODEL_ID lives (and its method, when known): `--org/--service` when given, else the local model store."""
        where = self.invocation.where
        stored = self.store.find(model_id, self.network)
        if where.org_id or where.service_id:
            location = self.service_location()
            if stored and (stored.location.org_id, stored.location.service_id) == (location.org_id, location.service_id):
                return dataclasses.replace(stored, location=location)
            return StoredModel(model_id, self.network, location, "", "", "")
        if stored is None:
            raise errors.UserInputError(not_found(
                "model", model_id, f"not in the local model store of network {self.network}: "
                "pass --org ORG --service SERVICE; list-models and get-model with them remember it"))
        if where.group_name and where.group_name != stored.location.group_name:
            raise errors.UserInputError(f"model {model_id} belongs to group {stored.location.group_name}, "
                                        f"not {where.group_name}")
        if where.endpoint:
            return dataclasses.replace(stored, location=dataclasses.replace(stored.location, endpoint=where.endpoint))
        return stored

    def confirm_model(self, known: StoredModel) -> Model:
        """get_model on the model's daemon, before anything is paid (the answer must be for that model), remembered."""
        model = self.daemon(known.location.endpoint).get_model(known.model_id)
        if model.model_id != known.model_id:
            raise errors.DaemonError(f"the daemon at {known.location.endpoint} answered for model {model.model_id!r} "
                                     f"when asked for {known.model_id}: nothing was paid",
                                     endpoint=known.location.endpoint)
        self.remember(known.location, [model])
        return model

    def model_with_method(self, model_id: str) -> StoredModel:
        """The known model with its service and method, asked from its daemon when the store does not have them."""
        known = self.known_model(model_id)
        if known.grpc_service_name and known.grpc_method_name:
            return known
        model = self.confirm_model(known)
        return dataclasses.replace(known, grpc_service_name=model.grpc_service_name,
                                   grpc_method_name=model.grpc_method_name, status=model.status, name=model.name)

    def method_of_service(self, location: Location, wanted: str | None) -> tuple[str, str]:
        """The trainable (short service, method) named `wanted` (or the only one) on the daemon of `location`."""
        metadata = self.daemon(location.endpoint).get_training_metadata()
        return resolve_method(wanted, trainable_methods(metadata, location.endpoint))

    def method_and_limits(self) -> tuple[str, str, dict]:
        """(service, method, limits as the daemon sends them) of `--model-id ID`, or of ORG SERVICE and the method named."""
        inv = self.invocation
        if inv.where.model_id:
            known = self.model_with_method(inv.where.model_id)
            location, service, method = known.location, known.grpc_service_name, known.grpc_method_name
        else:
            location = self.service_location()
            service, method = self.method_of_service(location, inv.method)
        return service, method, self.method_limits(location, service, method)

    def method_limits(self, location: Location, grpc_service: str, grpc_method: str) -> dict:
        """A method's dataset limits as its daemon sends them (asked by name, never by model id)."""
        return self.daemon(location.endpoint).get_method_metadata(grpc_service, grpc_method)

    def remember(self, location: Location, models: Iterable[Model]) -> None:
        """Put models the daemon returned into the local store, with where they live."""
        self.store.save([StoredModel(m.model_id, self.network, location, m.grpc_service_name, m.grpc_method_name,
                                     m.status, m.name) for m in models if m.model_id])

    def remember_status(self, known: StoredModel, status: str) -> None:
        """Record a status the daemon reported for a model (after a paid call or a deletion)."""
        stored = self.store.find(known.model_id, self.network)
        if stored is not None:
            self.store.save([dataclasses.replace(stored, status=status)])
        elif known.grpc_service_name:
            self.store.save([dataclasses.replace(known, status=status)])
