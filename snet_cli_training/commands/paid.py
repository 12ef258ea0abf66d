"""The paid training commands: validate-price, train-price, upload, validate, train.

Every free check runs before money moves (the local dataset check, the model's state and
creator, the channel); the daemon's price RPC runs right before paying, because the daemon
demands exactly the price it last quoted; payment.checkout pays at most once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from snet_cli_training import errors
from snet_cli_training.commands.context import Context
from snet_cli_training.commands.invocation import Invocation
from snet_cli_training.commands.local import dataset_outcome
from snet_cli_training.commands.outcome import Outcome
from snet_cli_training.commands.wait import wait_for
from snet_cli_training.console.progress import progress_bar
from snet_cli_training.console.render import address, clip
from snet_cli_training.constants import TOKEN
from snet_cli_training.daemon.upload_source import UploadSource
from snet_cli_training.dataset.check import check_prepared
from snet_cli_training.dataset.packing import PreparedDataset
from snet_cli_training.dataset.requirements import MethodLimits
from snet_cli_training.payment.checkout import Payment, pay_once
from snet_cli_training.payment.quote import Purchase
from snet_cli_training.snetcli.tokens import cogs_to_token
from snet_cli_training.store import StoredModel

# What `--wait` waits for after each paid RPC.
TARGET_AFTER = {"upload_and_validate": "VALIDATED", "validate_model": "VALIDATED", "train_model": "READY_TO_USE"}
NEXT_STEP = {
    "CREATED": "upload a dataset first",
    "VALIDATING": "wait for the validation: snet training wait MODEL_ID",
    "TRAINING": "it is training already",
    "READY_TO_USE": "it is trained already",
    "ERRORED": "the last validation or training failed",
    "DELETED": "it was deleted",
}


def pay(ctx: Context, known: StoredModel, rpc: str, price: int, send: Callable[[list[tuple[str, Any]]], Any], *,
        work: str, model_name: str | None = None) -> Payment:
    """Pay `price` for `rpc` (WORK, as the question names it) on the model's group through payment.checkout."""
    purchase = Purchase(known.location.service, work, known.name if model_name is None else model_name)
    return pay_once(ctx.console, ctx.wallet(known.location), ctx.journal, ctx.invocation.payment,
                    model_id=known.model_id, rpc=rpc, price=price, send=send, purchase=purchase)


def _training_result(ctx: Context, known: StoredModel, rpc: str, price: int,
                     send: Callable[[list[tuple[str, Any]]], str], *, work: str, model_name: str | None = None) -> Outcome:
    """A paid training RPC's result (with --wait, the final status and its exit code)."""
    payment = pay(ctx, known, rpc, price, send, work=work, model_name=model_name)
    if payment.paid:
        status = payment.result
        ctx.remember_status(known, status)
    else:
        status = ctx.daemon(known.location.endpoint).get_model(known.model_id).status
    document = {**payment.document, "status": status}
    if payment.paid and ctx.invocation.waiting.wait:
        final = wait_for(ctx, known, TARGET_AFTER[rpc])
        document["status"] = final.document["status"]
        return Outcome.structured(document, final.status)
    return Outcome.structured(document)


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
    """`upload MODEL_ID PATH`: pack a folder once, check, quote, consent, then stream, re-signed as blocks pass."""
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
            price = daemon.validate_model_price(known.model_id)

            def send(metadata: list[tuple[str, Any]]) -> str:
                with progress_bar(console, source.file_size, f"upload {source.file_name}") as progress:
                    source.progress = progress
                    return daemon.upload_and_validate(source, payment_metadata=metadata)

            outcome = _training_result(ctx, known, "upload_and_validate", price, send,
                                       work=f"validating {source.file_name}")
    if outcome.document["paid"]:
        outcome.document.update(sha256=source.sha256, size_bytes=source.size_bytes)
    return outcome


def validate(inv: Invocation) -> Outcome:
    """`validate MODEL_ID --link URL`: validation of data the service fetches itself."""
    link = str(inv.link)
    with Context(inv) as ctx:
        known = ctx.known_model(str(inv.where.model_id))
        daemon = ctx.daemon(known.location.endpoint)
        price = daemon.validate_model_price(known.model_id, link)
        return _training_result(ctx, known, "validate_model", price,
                                lambda metadata: daemon.validate_model(known.model_id, link, payment_metadata=metadata),
                                work=f"validating the data at {clip(link, 80)}")


def train(inv: Invocation) -> Outcome:
    """`train MODEL_ID`: refuses before paying when training cannot start; otherwise quote, consent, pay."""
    with Context(inv) as ctx:
        known = ctx.known_model(str(inv.where.model_id))
        daemon = ctx.daemon(known.location.endpoint)
        model = daemon.get_model(known.model_id)
        ctx.remember(known.location, [model])
        signer = ctx.signer.address
        if model.created_by_address.lower() != signer.lower():
            raise errors.AccessDenied(f"only the model's creator ({model.created_by_address}) can train model "
                                      f"{known.model_id}; you are {address(signer)}: nothing was paid")
        if model.status != "VALIDATED":
            raise errors.UserInputError(f"model {known.model_id} is {model.status}: training starts from VALIDATED "
                                        f"({NEXT_STEP.get(model.status, '')}); nothing was paid")
        price = daemon.train_model_price(known.model_id)
        return _training_result(ctx, known, "train_model", price,
                                lambda metadata: daemon.train_model(known.model_id, payment_metadata=metadata),
                                work="training", model_name=model.name)
