"""The paid training commands: validate-price, train-price, upload, validate, train.

Every free check runs before money moves (the local dataset check, the model's state and
creator, the channel); the daemon's price RPC runs right before paying, because the daemon
demands exactly the price it last quoted; payment.checkout pays at most once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from snet_cli_training import errors
from snet_cli_training.commands import preflight
from snet_cli_training.commands.context import Context
from snet_cli_training.commands.invocation import Invocation
from snet_cli_training.commands.local import dataset_outcome
from snet_cli_training.commands.outcome import Outcome
from snet_cli_training.commands.upload_sender import UploadSender
from snet_cli_training.commands.wait import wait_for
from snet_cli_training.console.render import address, clip
from snet_cli_training.constants import TOKEN
from snet_cli_training.daemon.upload_source import UploadSource
from snet_cli_training.dataset.check import check_prepared
from snet_cli_training.dataset.packing import PreparedDataset
from snet_cli_training.dataset.requirements import MethodLimits
from snet_cli_training.payment.checkout import Payment, pay_once
from snet_cli_training.payment.journal import Work
from snet_cli_training.payment.quote import Purchase
from snet_cli_training.snetcli.tokens import cogs_to_token
from snet_cli_training.store import StoredModel

# What `--wait` waits for after each paid RPC.
TARGET_AFTER = {"upload_and_validate": "VALIDATED", "validate_model": "VALIDATED", "train_model": "READY_TO_USE"}
# A model in one of these has been given a dataset: paying for the same dataset again is refused unless --pay-again.
HAS_A_DATASET = ("VALIDATING", "VALIDATED", "TRAINING", "READY_TO_USE")
NEXT_STEP = {
    "CREATED": "upload a dataset first",
    "VALIDATING": "wait for the validation: snet training wait MODEL_ID",
    "TRAINING": "it is training already",
    "READY_TO_USE": "it is trained already",
    "ERRORED": "the last validation or training failed",
    "DELETED": "it was deleted",
}


def pay(ctx: Context, known: StoredModel, work: Work, price: int, send: Callable[[list[tuple[str, Any]]], Any], *,
        says: str, model_name: str | None = None, refuse_repeat: bool = False) -> Payment:
    """Pay `price` for `work` on the model's group through payment.checkout; the question names it as `says`."""
    inv = ctx.invocation
    purchase = Purchase(known.location.service, says, known.name if model_name is None else model_name)
    return pay_once(ctx.console, ctx.wallet(known.location), ctx.journal, inv.payment, inv.progress, work=work,
                    price=price, send=send, refuse_repeat=refuse_repeat, purchase=purchase)


def after_payment(payment: Payment, work: Work) -> errors.PaidButUnfinished:
    """What to raise when something fails once the daemon accepted the payment (it must not look unpaid)."""
    document = payment.document
    return errors.PaidButUnfinished(
        f"paid {document['price_cogs']} cogs for {work.describe()} (the daemon accepted it), then", document,
        resume=f"snet training wait {work.model_id}")


def _training_result(ctx: Context, known: StoredModel, work: Work, price: int,
                     send: Callable[[list[tuple[str, Any]]], str], *, says: str, model_name: str | None = None,
                     refuse_repeat: bool = False) -> Outcome:
    """A paid training RPC's result (with --wait, the final status and its exit code)."""
    payment = pay(ctx, known, work, price, send, says=says, model_name=model_name, refuse_repeat=refuse_repeat)
    done = payment.paid or payment.prior is not None
    try:
        if payment.paid:
            status = payment.result
            ctx.remember_status(known, status)
        else:
            status = ctx.daemon(known.location.endpoint).get_model(known.model_id).status
        document = {**payment.document, "status": status}
        if done and ctx.invocation.waiting.wait:
            final = wait_for(ctx, known, TARGET_AFTER[work.rpc])
            document["status"] = final.document["status"]
            if document["status"] == "ERRORED":
                ctx.console.say(f"ERROR: {_failed_after_payment(work, document['price_cogs'], ctx.invocation.path)}")
            return Outcome.structured(document, final.status, payment.settle)
    except errors.TrainingError as exc:
        if not done:
            raise
        raise after_payment(payment, work).because(exc) from exc
    return Outcome.structured(document, settle=payment.settle)


def _failed_after_payment(work: Work, price: int, path: str | None) -> str:
    """What a paid validation or training that ended ERRORED means for the user, and what to do next."""
    model_id = work.model_id
    if work.rpc == "train_model":
        return (f"model {model_id}: the service's training failed (ERRORED); the train price of {price} cogs was "
                "paid to the service. Contact the service provider")
    check = f"snet training check-dataset {path or 'PATH'} --model-id {model_id}"
    return (f"model {model_id}: the service rejected the dataset after validation (ERRORED); the validate price of "
            f"{price} cogs was paid to the service. Check the dataset with `{check}` and contact the service provider")


def earlier_payments(ctx: Context, model_id: str) -> str:
    """A note of accepted payments for the model that an interrupted run never reported ("" when none)."""
    notes = [f"{prior.price_cogs} cogs for {prior.work.describe()} at {prior.time}"
             for prior in ctx.journal.unreported(model_id)]
    return f" (an earlier, interrupted run paid {'; '.join(notes)}: the daemon accepted it)" if notes else ""


def validate_price(inv: Invocation) -> Outcome:
    """`validate-price MODEL_ID`: the daemon's validation price (it stores it for the next payment)."""
    return _price(inv, "validate_model")


def train_price(inv: Invocation) -> Outcome:
    """`train-price MODEL_ID`: the daemon's training price (it stores it for the next payment)."""
    return _price(inv, "train_model")


def _price(inv: Invocation, rpc: str) -> Outcome:
    with Context(inv) as ctx:
        known = ctx.known_model(str(inv.where.model_id))
        daemon = ctx.daemon(known.location.endpoint)
        cogs = daemon.validate_model_price(known.model_id) if rpc == "validate_model" else daemon.train_model_price(known.model_id)
    return Outcome.structured({"model_id": known.model_id, "price_cogs": cogs, "price": cogs_to_token(cogs), "token": TOKEN})


def upload(inv: Invocation) -> Outcome:
    """`upload MODEL_ID PATH`: pack a folder once, check, learn the daemon's upload behaviour, quote, consent, stream."""
    console = inv.console
    with Context(inv) as ctx:
        known = ctx.model_with_method(str(inv.where.model_id))
        daemon = ctx.daemon(known.location.endpoint)
        limits = MethodLimits.from_mapping(ctx.method_limits(known.location, known.grpc_service_name,
                                                             known.grpc_method_name))
        with PreparedDataset(str(inv.path), limits.dataset_type) as prepared:
            if inv.no_check:
                console.warn("--no-check: the dataset is not checked against the method's limits; "
                             "the service may reject it after payment")
            else:
                report = check_prepared(prepared, limits)
                if not report.ok:
                    console.say("nothing was paid: the dataset does not meet the method's requirements")
                    return dataset_outcome(inv, report)
            source = UploadSource(prepared.archive_path, known.model_id, chunk_size=inv.chunk_size, shown_as=inv.path)
            work = Work("upload_and_validate", known.model_id, f"sha256:{source.digest()}")
            found, mode = preflight.upload_mode(ctx, known, inv.upload_mode)
            preflight.warn_if_large(console, source.file_size, known.model_id)
            model = ctx.confirm_model(known)
            price = daemon.validate_model_price(known.model_id)
            sender = UploadSender(console, daemon, source, mode, found.behaviour)
            outcome = _training_result(ctx, known, work, price, sender, says=f"validating {source.file_name}",
                                       model_name=model.name, refuse_repeat=model.status in HAS_A_DATASET)
    document = outcome.document
    document.update(daemon_version=found.behaviour.claimed_version, upload_mode=sender.mode)
    if document["paid"]:
        document.update(sha256=source.sha256, size_bytes=source.size_bytes)
        if document["status"] == "VALIDATING" and not inv.waiting.wait:
            console.say(preflight.UNCONFIRMED_VALIDATING.format(model_id=known.model_id))
    return outcome


def validate(inv: Invocation) -> Outcome:
    """`validate MODEL_ID --link URL`: validation of data the service fetches itself."""
    link = str(inv.link)
    with Context(inv) as ctx:
        known = ctx.known_model(str(inv.where.model_id))
        daemon = ctx.daemon(known.location.endpoint)
        model = ctx.confirm_model(known)
        price = daemon.validate_model_price(known.model_id, link)
        return _training_result(ctx, known, Work("validate_model", known.model_id, f"link:{link}"), price,
                                lambda metadata: daemon.validate_model(known.model_id, link, payment_metadata=metadata),
                                says=f"validating the data at {clip(link, 80)}", model_name=model.name,
                                refuse_repeat=model.status in HAS_A_DATASET)


def train(inv: Invocation) -> Outcome:
    """`train MODEL_ID`: refuses before paying when training cannot start; otherwise quote, consent, pay."""
    with Context(inv) as ctx:
        known = ctx.known_model(str(inv.where.model_id))
        daemon = ctx.daemon(known.location.endpoint)
        model = ctx.confirm_model(known)
        signer = ctx.signer.address
        if not model.created_by(signer):
            raise errors.AccessDenied(f"only the model's creator ({model.created_by_address}) can train model "
                                      f"{known.model_id}; you are {address(signer)}: nothing was paid")
        if model.status != "VALIDATED":
            raise errors.UserInputError(f"model {known.model_id} is {model.status}: training starts from VALIDATED "
                                        f"({NEXT_STEP.get(model.status, '')}); nothing was paid"
                                        + earlier_payments(ctx, known.model_id))
        price = daemon.train_model_price(known.model_id)
        return _training_result(ctx, known, Work("train_model", known.model_id), price,
                                lambda metadata: daemon.train_model(known.model_id, payment_metadata=metadata),
                                says="training", model_name=model.name)
