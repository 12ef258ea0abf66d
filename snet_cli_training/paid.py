"""Paid training commands: quote → consent → pay exactly once → report (upload, validate, train, call).

Order matters for the user's money: every free check (local dataset check, model state,
price, channel) runs first; the daemon's price RPC runs right before paying, because the
daemon demands exactly the price it last quoted; the claim is signed only after consent;
the payment journal tells a retry apart from new work.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from snet_cli_training import errors
from snet_cli_training.errors import ExitStatus
from snet_cli_training.runner import Outcome

if TYPE_CHECKING:
    from snet_cli_training.runner import Runner
    from snet_cli_training.session import ModelLocation, TrainingSession

_TARGET_AFTER = {"upload_and_validate": "VALIDATED", "validate_model": "VALIDATED", "train_model": "READY_TO_USE"}


@dataclasses.dataclass
class PaidCall:
    """One paid RPC for one model: where it goes and how to pay it."""

    runner: Runner
    session: TrainingSession
    model_id: str
    location: ModelLocation
    rpc: str

    @property
    def args(self) -> Any:
        return self.runner.args

    @property
    def env(self) -> Any:
        return self.runner.env

    @property
    def daemon(self) -> Any:
        return self.session.daemon(self.location.endpoint)

    def quote(self, price: int) -> tuple[Any, Any, Any]:
        """(quote, prior payment or None, (journal, MPE address)) for `price` through the session's channel to the group."""
        from snet_cli_training.channels import SessionChannels
        from snet_cli_training.payment import PaymentJournal, prepare

        target = self.session.target(self.location.org_id, self.location.service_id, self.location.group_name)
        channels = SessionChannels(self.session.command, target, self.daemon, self.session.authorizer.signer,
                                   out=self.env.stderr)
        journal = PaymentJournal.for_environment(self.env, self.session.network)
        quote, prior = prepare(self.env, channels, journal, model_id=self.model_id, rpc=self.rpc, price=price,
                               open_channel=self.args.open_channel, fund=self.args.fund, yes=self.args.yes,
                               dry_run=self.args.dry_run)
        return quote, prior, (journal, channels.mpe_address)

    def pay_once(self, price: int, send: Callable[[list[tuple[str, Any]]], Any]) -> tuple[dict, bool, Any]:
        """Quote `price`, ask, pay with `send(payment_metadata)`: (the quote's document, paid, what send returned).

        Not paid: a dry run, or a retry of work an interrupted earlier run already paid for.
        """
        from snet_cli_training.channels import ChannelProblem
        from snet_cli_training.payment import confirm, pay

        try:
            quote, prior, (journal, mpe_address) = self.quote(price)
        except ChannelProblem as problem:
            if self.args.dry_run and (self.args.open_channel if problem.fix.kind == "open" else self.args.fund):
                return self._dry_run_before_channel_fix(price, problem.fix), False, None
            raise
        if prior is not None and not prior.outcome_was_known and not self.args.pay_again:
            self.env.say(f"{prior.describe()}; not paying again (pass --pay-again to pay for it once more)")
            return quote.to_dict(paid=False), False, None
        if not confirm(self.env, quote, yes=self.args.yes, max_price=self.args.max_price, dry_run=self.args.dry_run):
            self.env.say(f"dry run, nothing was signed or paid: {quote.describe()}")
            return quote.to_dict(paid=False), False, None
        result = pay(quote, signer=self.session.authorizer.signer, mpe_address=mpe_address, journal=journal, call=send)
        self.env.say(f"paid {quote.price_cogs} cogs ({quote.price} FET) on channel {quote.channel_id}")
        return quote.to_dict(paid=True), True, result

    def _dry_run_before_channel_fix(self, price: int, fix: Any) -> dict:
        """A dry run's report when the real command would first open or fund the channel (after asking)."""
        from snet.cli.utils.token2cogs import cogs2strtoken

        document = {"model_id": self.model_id, "rpc": self.rpc, "price_cogs": price, "price": cogs2strtoken(price),
                    "token": "FET", "channel_id": fix.channel_id, "paid": False, "channel_action": fix.snet_command()}
        if self.args.max_price is not None and price > self.args.max_price:
            raise errors.NotConfirmed(f"the price is {price} cogs, above --max-price {self.args.max_price} cogs: "
                                      "nothing was paid", document)
        self.env.say(f"dry run, nothing was signed, sent or paid: the real command would first run "
                     f"`{fix.snet_command()}` (after asking), then pay {price} cogs")
        return document

    def run(self, price: int, send: Callable[[list[tuple[str, Any]]], str]) -> Outcome:
        """A paid training RPC: pay once, then CLI.md's result (with --wait, the final status)."""
        from snet_cli_training.protocol import STATUS_NAMES

        document, paid, status = self.pay_once(price, send)
        if paid:
            self.session.remember_status(self.model_id, self.location, status)
        else:
            status = STATUS_NAMES[self.daemon.get_model(self.model_id).status]
        document = {**document, "status": status}
        if paid and getattr(self.args, "wait", False):
            from snet_cli_training.waiting import wait_for

            final = wait_for(self.runner, self.session, self.model_id, self.location, _TARGET_AFTER[self.rpc])
            document["status"] = final.document["status"]
            return Outcome.structured(document, final.status)
        return Outcome.structured(document)


def _paid_call(runner: Runner, rpc: str) -> PaidCall:
    from snet_cli_training.session import TrainingSession

    session = TrainingSession(runner)
    model_id = runner.args.model_id
    return PaidCall(runner, session, model_id, session.model_location(model_id), rpc)


def _method_of(call: PaidCall) -> tuple[str, str]:
    """The model's (short service, method), from the store or the daemon."""
    if call.location.grpc_service_name and call.location.grpc_method_name:
        return call.location.grpc_service_name, call.location.grpc_method_name
    model = call.daemon.get_model(call.model_id)
    call.session.remember(call.location, [model])
    return model.grpc_service_name, model.grpc_method_name


def price(runner: Runner, rpc: str) -> Outcome:
    """validate-price / train-price: the daemon's price for the model (it stores it for the next payment)."""
    from snet.cli.utils.token2cogs import cogs2strtoken

    call = _paid_call(runner, rpc)
    daemon = call.daemon
    cogs = daemon.validate_model_price(call.model_id) if rpc == "validate_model" else daemon.train_model_price(call.model_id)
    document = {"model_id": call.model_id, "price_cogs": cogs, "price": cogs2strtoken(cogs), "token": "FET"}
    return Outcome.structured(document)


def upload(runner: Runner) -> Outcome:
    """`upload MODEL_ID PATH`: local check, quote, consent, then the stream, re-signed as blocks pass."""
    from snet_cli_training.dataset import check_dataset
    from snet_cli_training.requirements import MethodLimits
    from snet_cli_training.upload import UploadSource, progress_bar

    args, env = runner.args, runner.env
    call = _paid_call(runner, "upload_and_validate")
    grpc_service, grpc_method = _method_of(call)
    limits = MethodLimits.from_mapping(call.daemon.get_method_metadata(grpc_service_name=grpc_service,
                                                                       grpc_method_name=grpc_method))
    if args.no_check:
        env.warn("--no-check: the dataset is not checked against the method's limits; the service may reject it after payment")
    else:
        report = check_dataset(args.path, limits)
        if not report.ok:
            env.say("nothing was paid: the dataset does not meet the method's requirements")
            return Outcome(report.to_dict(), report.text, ExitStatus.DATASET_REJECTED)
    with UploadSource(args.path, call.model_id, chunk_size=args.chunk_size, dataset_types=limits.dataset_type) as source:
        price_cogs = call.daemon.validate_model_price(call.model_id)
        sent: dict = {}

        def send(metadata: list[tuple[str, Any]]) -> str:
            with progress_bar(env, source.file_size, f"upload {source.file_name}") as progress:
                source.progress = progress
                status = call.daemon.upload_and_validate(source, payment_metadata=metadata)
            sent.update(sha256=source.sha256, size_bytes=source.size_bytes)
            return status

        outcome = call.run(price_cogs, send)
    if outcome.document["paid"]:
        outcome.document.update(sent)
    return outcome


def validate(runner: Runner) -> Outcome:
    """`validate MODEL_ID --link URL`: validation of data the service fetches itself."""
    call = _paid_call(runner, "validate_model")
    link = runner.args.link
    price_cogs = call.daemon.validate_model_price(call.model_id, link)
    return call.run(price_cogs, lambda metadata: call.daemon.validate_model(call.model_id, link, payment_metadata=metadata))


def train(runner: Runner) -> Outcome:
    """`train MODEL_ID`: refuses before paying when training cannot start; otherwise quote, consent, pay."""
    from snet_cli_training.protocol import STATUS_NAMES

    call = _paid_call(runner, "train_model")
    model = call.daemon.get_model(call.model_id)
    call.session.remember(call.location, [model])
    status = STATUS_NAMES[model.status]
    signer = call.session.authorizer.signer.address
    if model.created_by_address.lower() != signer.lower():
        raise errors.AccessDenied(f"only the model's creator ({model.created_by_address}) can train model {call.model_id}; "
                                  f"you are {signer}: nothing was paid")
    if status != "VALIDATED":
        raise errors.UserInputError(f"model {call.model_id} is {status}: training starts from VALIDATED "
                                    f"({_next_step(status)}); nothing was paid")
    price_cogs = call.daemon.train_model_price(call.model_id)
    return call.run(price_cogs, lambda metadata: call.daemon.train_model(call.model_id, payment_metadata=metadata))


def _next_step(status: str) -> str:
    return {
        "CREATED": "upload a dataset first",
        "VALIDATING": "wait for the validation: snet training wait MODEL_ID",
        "TRAINING": "it is training already",
        "READY_TO_USE": "it is trained already",
        "ERRORED": "the last validation or training failed",
        "DELETED": "it was deleted",
    }.get(status, "")


def call_service(runner: Runner) -> Outcome:
    """`call MODEL_ID METHOD [PARAMS]`: the service's own method with the model, paid like `snet client call`."""
    from google.protobuf import json_format

    args = runner.args
    call = _paid_call(runner, "call")
    model = call.daemon.get_model(call.model_id)
    call.session.remember(call.location, [model])
    if model.status != _status_number("READY_TO_USE"):
        from snet_cli_training.protocol import STATUS_NAMES

        raise errors.UserInputError(f"model {call.model_id} is {STATUS_NAMES[model.status]}, not READY_TO_USE: "
                                    "it cannot be used yet; nothing was paid")
    target = call.session.target(call.location.org_id, call.location.service_id, call.location.group_name)
    if target.price_in_cogs is None:
        raise errors.ConfigurationError(f"group {target.group_name} of {target.org_id}/{target.service_id} has no fixed "
                                        "price: this plugin pays fixed prices only")
    stub, request = _service_request(call, model.grpc_service_name)
    method = getattr(stub, args.method)

    def send(metadata: list[tuple[str, Any]]) -> Any:
        import grpc

        from snet_cli_training.client import map_rpc_error

        try:
            return method(request, metadata=metadata, timeout=args.rpc_timeout)
        except grpc.RpcError as exc:
            raise map_rpc_error(exc, endpoint=call.location.endpoint, rpc=args.method, model_id=call.model_id,
                                signer_address=call.session.authorizer.signer.address) from exc

    document, paid, response = call.pay_once(target.price_in_cogs, send)
    if not paid:
        return Outcome.structured(document)
    document = json_format.MessageToDict(response, preserving_proto_field_name=True)
    return Outcome(document, lambda: str(response).rstrip("\n"))


def _status_number(name: str) -> int:
    from snet_cli_training.protocol import STATUS_NAMES

    return STATUS_NAMES.index(name)


def _service_request(call: PaidCall, grpc_service: str) -> tuple[Any, Any]:
    """snet-cli's stub for the service and the request built from PARAMS, its ModelID field set to the model."""
    import contextlib

    from snet.cli.utils.utils import open_grpc_channel

    args, command = call.args, call.session.command
    if args.params == "-":
        raise errors.UserInputError("PARAMS must be a JSON object or a file holding one (stdin is not read)")
    command.args.org_id, command.args.service_id = call.location.org_id, call.location.service_id
    command.args.method, command.args.service, command.args.params = args.method, grpc_service, args.params
    try:
        with contextlib.redirect_stdout(call.env.stderr):
            stub_class, request_class, _ = command._import_protobuf_for_service()
            params = command._get_call_params()
    except Exception as exc:  # noqa: BLE001 - snet-cli raises bare Exception for unknown methods and bad params
        raise errors.UserInputError(f"cannot call {grpc_service}.{args.method}: {exc}") from exc
    if not isinstance(params, dict):
        raise errors.UserInputError("PARAMS must be a JSON object")
    fields = [f.name for f in request_class.DESCRIPTOR.fields
              if f.message_type is not None and f.message_type.full_name == "training.ModelID"]
    if not fields:
        raise errors.UserInputError(f"{grpc_service}.{args.method} takes no training.ModelID: it cannot use a trained model")
    if fields[0] in params:
        raise errors.UserInputError(f"PARAMS sets {fields[0]}: the model comes from MODEL_ID, leave it out")
    params[fields[0]] = {"model_id": call.model_id}
    try:
        request = request_class(**params)
    except (TypeError, ValueError) as exc:
        raise errors.UserInputError(f"PARAMS do not fit {request_class.DESCRIPTOR.full_name}: {exc}") from exc
    return stub_class(open_grpc_channel(call.location.endpoint)), request
