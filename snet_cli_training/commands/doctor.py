"""`doctor ORG SERVICE [--model-id ID]` and `doctor MODEL_ID`: every check a training session depends on, all free.

The facts are gathered here, in the order a session needs them (session, registry, daemon,
heartbeat, training, upload probe, model, channel, hazards); the diagnosis package turns each
into a check. A check that fails makes those that need it "not checked" instead of failing
again. Nothing is signed for payment: the only signatures are the free ones of get_model, the
prices and the daemon's channel state.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from snet_cli_training import errors
from snet_cli_training.commands import preflight
from snet_cli_training.commands.context import Context
from snet_cli_training.commands.invocation import Invocation, Where
from snet_cli_training.commands.outcome import Outcome
from snet_cli_training.daemon.behaviour import HeartbeatFacts
from snet_cli_training.daemon.probe import connect
from snet_cli_training.diagnosis import report
from snet_cli_training.diagnosis.account_checks import channel_check, model_check, registry_check, session_check
from snet_cli_training.diagnosis.daemon_checks import (
    connection_check, hazards_check, heartbeat_check, training_check, upload_check,
)
from snet_cli_training.diagnosis.report import Check, fail, not_checked
from snet_cli_training.services import Location, ServiceGroup
from snet_cli_training.snetcli import registry

CONNECT_TIMEOUT_SECONDS = 5.0


def doctor(inv: Invocation) -> Outcome:
    """Run every check; exit 0 when none fails, 1 otherwise, with the report on stdout either way."""
    with Context(_targeted(inv)) as ctx:
        checks = Examination(ctx).run()
    document = report.document(checks)
    status = errors.ExitStatus.OK if document["ok"] else errors.ExitStatus.ERROR
    return Outcome(document, lambda: report.text(checks), status)


def _targeted(inv: Invocation) -> Invocation:
    """The invocation with doctor's positionals read as ORG SERVICE or MODEL_ID."""
    where = inv.where
    if len(inv.targets) == 2:
        org_id, service_id = inv.targets
        return dataclasses.replace(inv, where=dataclasses.replace(where, org_id=org_id, service_id=service_id))
    if where.model_id:
        raise errors.UsageError("doctor takes ORG SERVICE --model-id ID, or MODEL_ID alone")
    return dataclasses.replace(inv, where=Where(None, None, where.group_name, where.endpoint, inv.targets[0]))


class Examination:
    """One doctor run: the checks so far and the facts later checks build on."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.checks: list[Check] = []
        self.methods: dict[str, dict] = {}
        self.needs: dict[str, int] = {}

    def run(self) -> list[Check]:
        where = self.ctx.invocation.where
        if not self._attempt("session", self._session, "set up snet-cli's session: `snet identity create ...`, "
                             "`snet network ...`"):
            return self._skip(["registry", "daemon"], "session")
        group = self._attempt("registry", self._registry, "check ORG SERVICE (`snet service print-metadata ORG "
                              "SERVICE`), --group and --endpoint")
        if not group:
            return self._skip(["daemon"], "registry")
        endpoint = group.location.endpoint
        if not self._connect(endpoint):
            return self._skip(["heartbeat", "training", "upload", *(["model"] if where.model_id else []), "channel"],
                              "daemon")
        facts, problem = preflight.heartbeat(self.ctx, endpoint)
        self.checks.append(heartbeat_check(facts, problem, self.ctx.network, self.ctx.snet.chain_id()))
        trains = self._attempt("training", lambda: self._training(endpoint, facts),
                               "ask the provider to enable training, or use another service")
        found = None
        if trains:
            found = self._attempt("upload", lambda: preflight.fingerprint(self.ctx, endpoint, (facts, problem)),
                                  "ask the provider whether the daemon takes uploads")
        if found:
            self.checks.append(upload_check(found.behaviour))
        if where.model_id and trains:
            self._attempt("model", lambda: self._model(group.location, str(where.model_id)),
                          "check the id: `snet training list-models ORG SERVICE`")
        if not trains:
            self._skip(["upload", *(["model"] if where.model_id else [])], "training")
        self._attempt("channel", lambda: self._channel(group), "check the channel: `snet channel print-all-filter-sender`")
        if found:
            self.checks.append(hazards_check(found.facts, found.behaviour, self.methods))
        return self.checks

    def _attempt(self, name: str, gather: Callable[[], Any], fix: str) -> Any:
        """Run one step; its failure becomes a failed check named `name`. Returns what the step returned, or None."""
        try:
            return gather()
        except errors.TrainingError as exc:
            self.checks.append(fail(name, str(exc), fix))
            return None

    def _skip(self, names: list[str], needs: str) -> list[Check]:
        self.checks.extend(not_checked(name, needs) for name in names)
        return self.checks

    def _session(self) -> bool:
        snet = self.ctx.snet
        self.checks.append(session_check(self.ctx.signer.address, self.ctx.network, snet.chain_id(), snet.block_number()))
        return True

    def _registry(self) -> ServiceGroup:
        ctx, where = self.ctx, self.ctx.invocation.where
        if where.model_id and not where.org_id:
            if ctx.store.find(where.model_id, ctx.network) is None:
                raise errors.UserInputError(f"model {where.model_id} is not in the local model store of network "
                                            f"{ctx.network}: run `snet training doctor ORG SERVICE --model-id "
                                            f"{where.model_id}`")
            known = ctx.known_model(where.model_id)
            org_id, service_id, group_name = known.location.org_id, known.location.service_id, known.location.group_name
            group = ctx.service_group(org_id, service_id, group_name)
            if where.endpoint is None and known.location.endpoint != group.location.endpoint:
                group = dataclasses.replace(group, location=known.location)  # where the model was made
        else:
            group = ctx.service_group(str(where.org_id), str(where.service_id), where.group_name)
        location = group.location
        self.checks.append(registry_check(group, registry.service_trains(ctx.snet, location.org_id, location.service_id)))
        return group

    def _connect(self, endpoint: str) -> bool:
        connected = connect(self.ctx.daemon(endpoint).service_channel(), CONNECT_TIMEOUT_SECONDS)
        self.checks.append(connection_check(endpoint, connected, CONNECT_TIMEOUT_SECONDS))
        return connected == "ready"

    def _training(self, endpoint: str, facts: HeartbeatFacts | None) -> bool:
        daemon = self.ctx.daemon(endpoint)
        for service, names in sorted(daemon.get_training_metadata()["trainingMethods"].items()):
            for name in names:
                self.methods[f"{service}.{name}"] = daemon.get_method_metadata(service, name)
        check = training_check(self.methods, facts)
        self.checks.append(check)
        return check.status != report.FAIL

    def _model(self, location: Location, model_id: str) -> None:
        daemon = self.ctx.daemon(location.endpoint)
        model = daemon.get_model(model_id)
        self.ctx.remember(location, [model])
        prices: dict[str, int] = {}
        if model.created_by_address.lower() == self.ctx.signer.address.lower():
            # Asking a price is free; the daemon stores it for the next payment.
            prices = {"validate_model": daemon.validate_model_price(model_id), "train_model": daemon.train_model_price(model_id)}
        self.needs.update(prices)
        self.checks.append(model_check(model, self.ctx.signer.address, prices))

    def _channel(self, group: ServiceGroup) -> None:
        if group.price_in_cogs is not None:
            self.needs["call"] = group.price_in_cogs
        wallet = self.ctx.wallet(group.location)
        choice = wallet.choose(max(self.needs.values(), default=0))
        self.checks.append(channel_check(choice, self.needs, bool(self.ctx.invocation.where.model_id)))
