"""A subcommand's view of snet-cli's session: identity, network, service, daemon, model store.

Everything is built lazily and once per command, so a command touches the chain, the registry
and the daemon only as far as it needs to (`get-model` of a stored model never resolves the
service again).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import TYPE_CHECKING, Any

from snet_cli_training import errors

if TYPE_CHECKING:
    from snet_cli_training.client import DaemonClient
    from snet_cli_training.runner import Runner
    from snet_cli_training.service import ServiceTarget
    from snet_cli_training.store import ModelStore, StoredModel


@dataclasses.dataclass(frozen=True)
class ModelLocation:
    """Where a model lives: its service, group, daemon endpoint and (when known) its method."""

    org_id: str
    service_id: str
    group_name: str
    endpoint: str
    grpc_service_name: str = ""
    grpc_method_name: str = ""


class TrainingSession:
    """Lazily built pieces of snet-cli's session for one `snet training` command."""

    def __init__(self, runner: Runner) -> None:
        self.config = runner.config
        self.args = runner.args
        self.env = runner.env
        self._targets: dict[tuple, ServiceTarget] = {}
        self._daemons: dict[str, DaemonClient] = {}

    @functools.cached_property
    def network(self) -> str:
        from snet_cli_training.service import check_session

        return check_session(self.config)[1]

    @functools.cached_property
    def command(self) -> Any:
        """snet-cli's MPEClientCommand for the session; its progress output goes to stderr."""
        from snet_cli_training.service import client_command

        self.network  # noqa: B018 -- checks the session before snet-cli builds anything
        return client_command(self.config, self.args, out_f=self.env.stderr, err_f=self.env.stderr)

    @functools.cached_property
    def authorizer(self) -> Any:
        from snet_cli_training.auth import session_authorizer

        return session_authorizer(self.command, warn=self.env.warn)

    @functools.cached_property
    def store(self) -> ModelStore:
        from snet_cli_training.store import ModelStore

        return ModelStore(self.env.training_dir, self.env.warn)

    def target(self, org_id: str, service_id: str, group_name: str | None = None) -> ServiceTarget:
        """The service's payment group and daemon endpoint, through snet-cli's registry and IPFS cache."""
        from snet_cli_training.service import resolve_service

        key = (org_id, service_id, group_name)
        if key not in self._targets:
            self._targets[key] = resolve_service(
                self.config, self.args, org_id=org_id, service_id=service_id, group_name=group_name,
                endpoint=getattr(self.args, "endpoint", None), command=self.command,
                out_f=self.env.stderr, err_f=self.env.stderr)
        return self._targets[key]

    def daemon(self, endpoint: str) -> DaemonClient:
        """A client of the daemon at `endpoint` (one per endpoint per command)."""
        from snet_cli_training.client import DaemonClient

        if endpoint not in self._daemons:
            self._daemons[endpoint] = DaemonClient(endpoint, self.authorizer,
                                                   timeout=getattr(self.args, "rpc_timeout", 30.0))
        return self._daemons[endpoint]

    def service_location(self) -> ModelLocation:
        """ORG SERVICE [--group] [--endpoint] of the command line, resolved."""
        target = self.target(self.args.org_id, self.args.service_id, self.args.group_name)
        return ModelLocation(target.org_id, target.service_id, target.group_name, target.endpoint)

    def model_location(self, model_id: str) -> ModelLocation:
        """Where MODEL_ID lives: `--org/--service` when given, else the local model store."""
        args = self.args
        if args.org_id or args.service_id:
            if not (args.org_id and args.service_id):
                raise errors.UsageError("--org and --service go together")
            stored = self.store.find(model_id, self.network)
            location = self.service_location()
            if stored and (stored.org_id, stored.service_id) == (location.org_id, location.service_id):
                return dataclasses.replace(location, grpc_service_name=stored.grpc_service_name,
                                           grpc_method_name=stored.grpc_method_name)
            return location
        stored = self.store.find(model_id, self.network)
        if stored is None:
            raise errors.UserInputError(
                f"model {model_id} is not in the local model store of network {self.network}: "
                "pass --org ORG --service SERVICE (list-models and get-model with them remember it)")
        if args.group_name and args.group_name != stored.group_name:
            raise errors.UserInputError(f"model {model_id} belongs to group {stored.group_name}, not {args.group_name}")
        endpoint = args.endpoint or stored.endpoint
        return ModelLocation(stored.org_id, stored.service_id, stored.group_name, endpoint,
                             stored.grpc_service_name, stored.grpc_method_name)

    def remember(self, location: ModelLocation, models: list[Any]) -> None:
        """Put models the daemon returned into the local store, with where they live."""
        from snet_cli_training.protocol import STATUS_NAMES
        from snet_cli_training.store import StoredModel

        records: list[StoredModel] = [
            StoredModel(model_id=m.model_id, network=self.network, org_id=location.org_id,
                        service_id=location.service_id, group_name=location.group_name,
                        endpoint=location.endpoint, grpc_service_name=m.grpc_service_name,
                        grpc_method_name=m.grpc_method_name, status=STATUS_NAMES[m.status])
            for m in models if m.model_id]
        self.store.save(records)

    def remember_status(self, model_id: str, location: ModelLocation, status: str) -> None:
        """Record a status the daemon reported for a model after a paid call."""
        from snet_cli_training.store import StoredModel

        stored = self.store.find(model_id, self.network)
        if stored is not None:
            self.store.save([dataclasses.replace(stored, status=status)])
        elif location.grpc_service_name:
            self.store.save([StoredModel(model_id, self.network, location.org_id, location.service_id,
                                         location.group_name, location.endpoint, location.grpc_service_name,
                                         location.grpc_method_name, status)])

    def close(self) -> None:
        for daemon in self._daemons.values():
            daemon.close()
