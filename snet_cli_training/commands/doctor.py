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
from snet_cli_training.services import ServiceGroup
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
    if len(inv.target) == 2:
        org_id, service_id = inv.target
        return dataclasses.replace(inv, where=dataclasses.replace(where, org_id=org_id, service_id=service_id))
    return dataclasses.replace(inv, where=Where(None, None, where.group_name, where.endpoint, inv.target[0]))


# Each check runs only when the check it builds on passed; otherwise it is listed as not checked.
BUILDS_ON = {"registry": "session", "daemon": "registry", "heartbeat": "daemon", "training": "daemon",
             "upload": "training", "model": "training", "channel": "daemon", "hazards": "upload"}
FIXES = {
    "session": "set up snet-cli's session: `snet identity create ...`, `snet network ...`",
    "registry": "check ORG SERVICE (`snet service print-metadata ORG SERVICE`), --group and --endpoint",
    "daemon": "check the daemon endpoint (--endpoint URL)",
    "heartbeat": "check the session's Ethereum node: `snet network ...`",
    "training": "ask the provider to enable training, or use another service",
    "upload": "ask the provider whether the daemon takes uploads",
    "model": "check the id: `snet training list-models ORG SERVICE`",
    "channel": "check the channel: `snet channel print-all-filter-sender`",
    "hazards": "read docs/daemon-releases.md#hazards",
}


class Examination:
    """One doctor run: the checks in order, and the facts later checks build on."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.model_id = ctx.invocation.where.model_id
        self.checks: list[Check] = []
        self.stopped: dict[str, str] = {}  # a check that did not pass → the failed check behind it
        self.group: ServiceGroup | None = None
        self.facts: tuple[HeartbeatFacts | None, str] = (None, "")
        self.found: preflight.Fingerprint | None = None
        self.methods: dict[str, dict] = {}
        self.needs: dict[str, int] = {}

    def run(self) -> list[Check]:
        steps: list[tuple[str, Callable[[], Check]]] = [
            ("session", self._session), ("registry", self._registry), ("daemon", self._connect),
            ("heartbeat", self._heartbeat), ("training", self._training), ("upload", self._upload),
            *([("model", self._model)] if self.model_id else []), ("channel", self._channel), ("hazards", self._hazards)]
        for name, step in steps:
            ground = BUILDS_ON.get(name)
            if ground in self.stopped:
                self.stopped[name] = self.stopped[ground]
                self.checks.append(not_checked(name, self.stopped[ground]))
                continue
            try:
                check = step()
            except errors.TrainingError as exc:
                check = fail(name, str(exc), FIXES[name])
            if check.status == report.FAIL:
                self.stopped[name] = name
            self.checks.append(check)
        return self.checks

    @property
    def endpoint(self) -> str:
        assert self.group is not None
        return self.group.location.endpoint

    def _session(self) -> Check:
        snet = self.ctx.snet
        return session_check(self.ctx.signer.address, self.ctx.network, snet.chain_id, snet.block_number())

    def _registry(self) -> Check:
        ctx, where = self.ctx, self.ctx.invocation.where
        if self.model_id and not where.org_id:
            if ctx.store.find(self.model_id, ctx.network) is None:
                raise errors.UserInputError(f"model {self.model_id} is not in the local model store of network "
                                            f"{ctx.network}: run `snet training doctor ORG SERVICE --model-id "
                                            f"{self.model_id}`")
            known = ctx.known_model(self.model_id).location
            group = ctx.service_group(known.org_id, known.service_id, known.group_name)
            if where.endpoint is None and known.endpoint != group.location.endpoint:
                group = dataclasses.replace(group, location=known)  # the daemon the model was made on
        else:
            group = ctx.service_group(str(where.org_id), str(where.service_id), where.group_name)
        self.group = group
        location = group.location
        return registry_check(group, registry.service_trains(ctx.snet, location.org_id, location.service_id))

    def _connect(self) -> Check:
        connected = connect(self.ctx.daemon(self.endpoint).service_channel(), CONNECT_TIMEOUT_SECONDS)
        return connection_check(self.endpoint, connected, CONNECT_TIMEOUT_SECONDS)

    def _heartbeat(self) -> Check:
        self.facts = preflight.heartbeat(self.ctx, self.endpoint)
        return heartbeat_check(*self.facts, self.ctx.network, self.ctx.snet.chain_id)

    def _training(self) -> Check:
        daemon = self.ctx.daemon(self.endpoint)
        for service, names in sorted(daemon.get_training_metadata()["trainingMethods"].items()):
            for name in names:
                self.methods[f"{service}.{name}"] = daemon.get_method_metadata(service, name)
        return training_check(self.methods, self.facts[0])

    def _upload(self) -> Check:
        self.found = preflight.fingerprint(self.ctx, self.endpoint, self.facts)
        return upload_check(self.found.behaviour)

    def _model(self) -> Check:
        assert self.group is not None and self.model_id is not None
        daemon, model_id = self.ctx.daemon(self.endpoint), self.model_id
        model = daemon.get_model(model_id)
        self.ctx.remember(self.group.location, [model])
        prices: dict[str, int] = {}
        if model.created_by(self.ctx.signer.address):
            # Asking a price is free; the daemon stores it for the next payment.
            prices = {"validate_model": daemon.validate_model_price(model_id), "train_model": daemon.train_model_price(model_id)}
        self.needs.update(prices)
        return model_check(model, self.ctx.signer.address, prices)

    def _channel(self) -> Check:
        assert self.group is not None
        if self.group.price_in_cogs is not None:
            self.needs["call"] = self.group.price_in_cogs
        choice = self.ctx.wallet(self.group.location).choose(max(self.needs.values(), default=0))
        return channel_check(choice, self.needs, bool(self.model_id))

    def _hazards(self) -> Check:
        assert self.found is not None
        return hazards_check(self.found.facts, self.found.behaviour, self.methods)
