"""End to end in-process: the client's channel through snet-cli, paid training RPCs of the daemon double, channel fixes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from snet_cli_training import errors
from snet_cli_training.commands.context import Context
from snet_cli_training.commands.invocation import Invocation, Where
from snet_cli_training.console.streams import Console
from snet_cli_training.daemon import protocol
from snet_cli_training.payment.channels import FundingPlan
from snet_cli_training.payment.checkout import pay_once
from snet_cli_training.payment.journal import Work
from snet_cli_training.payment.options import PaymentOptions
from snet_cli_training.payment.progress import PaymentProgress
from snet_cli_training.snetcli import channels as snet_channels
from snet_cli_training.sandbox import chain, provision
from tests.support.cli import copy_home, use_home

LINK = "https://example.com/data.zip"


class Session:
    """One identity's Context on the stack's service, and what paying through it takes."""

    def __init__(self, stack, home: Path) -> None:
        from snet.cli.config import Config

        self.home = home
        console = Console(stdin=io.StringIO(), stdout=io.StringIO(), stderr=io.StringIO(), snet_dir=home / ".snet")
        self.ctx = Context(Invocation(console, Config(_snet_folder=home / ".snet"),
                                      where=Where(org_id=stack.org_id, service_id=stack.service_id)))
        self.location = self.ctx.service_location()
        self.daemon = self.ctx.daemon(self.location.endpoint)

    @property
    def wallet(self):
        return self.ctx.wallet(self.location)

    def new_model(self) -> str:
        grpc_service, method = self.ctx.method_of_service(self.location, None)
        return self.daemon.create_model(grpc_service, method, "paid model").model_id

    def pay(self, model_id: str, price: int, send=None, rpc: str = "validate_model", **options):
        send = send or (lambda metadata: self.daemon.validate_model(model_id, LINK, payment_metadata=metadata))
        work = Work(rpc, model_id, f"link:{LINK}" if rpc == "validate_model" else "sha256:00")
        return pay_once(self.ctx.console, self.wallet, self.ctx.journal, PaymentOptions(**{"yes": True, **options}),
                        PaymentProgress(), work=work, price=price, send=send)


@pytest.fixture
def session(stack, process_home):
    opened = Session(stack, process_home)
    with opened.ctx:
        yield opened


def test_validate_paid_exactly_once_with_the_price(stack, control, session):
    model_id = session.new_model()
    price = session.daemon.validate_model_price(model_id)
    payment = session.pay(model_id, price, max_price=price)
    assert payment.paid and payment.result == "VALIDATING" and payment.prior is None
    quote = payment.document
    assert quote["price_cogs"] == price == 200 and quote["signed_amount_cogs"] == price  # the ledger was reset
    paid = [entry for entry in control.journal() if entry["model_id"] == model_id]
    assert [(e["rpc"], e["increment"], e["amount"], e["channel_id"], e["payment_type"]) for e in paid] == [
        ("training.Daemon/validate_model", price, quote["signed_amount_cogs"], quote["channel_id"], "train-call")]
    assert [e["state"] for e in session.ctx.journal.entries()] == ["accepted"]
    payment.settle()  # the command printed its outcome
    assert [e["state"] for e in session.ctx.journal.entries()] == ["reported"]

    # The next payment (the same work, asked for again) starts from what the daemon now holds.
    again = session.pay(model_id, session.daemon.validate_model_price(model_id))
    assert again.document["signed_amount_cogs"] == 2 * price and again.document["channel_id"] == quote["channel_id"]


def test_upload_is_paid_with_train_call_on_the_stream(control, session):
    model_id = session.new_model()
    price = session.daemon.validate_model_price(model_id)
    messages = protocol.messages()
    chunks = [messages.UploadInput(model_id=model_id, data=bytes([n]) * 10, file_name="d.zip", file_size=20,
                                   batch_size=10, batch_number=n, batch_count=2) for n in (1, 2)]
    payment = session.pay(model_id, price, rpc="upload_and_validate", send=lambda metadata: session.daemon.upload_and_validate(
        iter(chunks), payment_metadata=metadata))
    assert payment.result == "VALIDATING"
    assert [(e["increment"], e["payment_type"]) for e in control.journal()] == [(price, "train-call")]
    assert [e["state"] for e in session.ctx.journal.entries()] == ["accepted"]


def test_a_price_mismatch_is_refused_and_journaled_failed(control, session):
    model_id = session.new_model()
    price = session.daemon.validate_model_price(model_id)
    with pytest.raises(errors.PaymentError, match=f"income {price + 1} does not equal to price {price}"):
        session.pay(model_id, price + 1)
    assert control.journal() == []
    assert [e["state"] for e in session.ctx.journal.entries()] == ["failed"]


def test_reconciliation_finds_an_accepted_payment_whose_answer_was_lost(control, session):
    model_id = session.new_model()
    price = session.daemon.validate_model_price(model_id)

    def lost_answer(metadata):
        session.daemon.validate_model(model_id, LINK, payment_metadata=metadata)
        raise KeyboardInterrupt  # the answer never reached the command

    with pytest.raises(KeyboardInterrupt):
        session.pay(model_id, price, send=lost_answer)
    assert [e["state"] for e in session.ctx.journal.entries()] == ["signed"]
    rerun = session.pay(model_id, price, send=lambda metadata: pytest.fail("paid twice"))
    assert rerun.paid is False and rerun.prior is not None and not rerun.prior.reported
    first_channel = rerun.document["channel_id"]
    assert rerun.prior.describe().startswith(f"already paid {price} cogs for validation of model {model_id} "
                                             f"(channel {first_channel}")
    assert "not paying again" in session.ctx.console.stderr.getvalue()
    assert [e["state"] for e in session.ctx.journal.entries()] == ["accepted"]
    assert len(control.journal()) == 1

    # A signature that never reached the daemon is found rolled back.
    def never_sent(metadata):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        session.pay(model_id, price, pay_again=True, send=never_sent)
    session.pay(model_id, price, dry_run=True)
    assert [e["state"] for e in session.ctx.journal.entries()] == ["accepted", "failed"]


def test_missing_and_short_channels_are_fixed_only_with_consent(stack, control, tmp_path, monkeypatch):
    spare_home = tmp_path / "spare1"
    network = provision.Network(rpc=stack.rpc, ipfs_port=stack.ipfs_port, registry=stack.registry_address,
                                mpe=stack.mpe_address, token=stack.token_address,
                                daemon_endpoint=stack.daemon_endpoint)
    provision.write_home(spare_home, network, "spare1", chain.dev_private_key("spare1"))
    home = use_home(copy_home(spare_home, tmp_path / "home"), monkeypatch)
    session = Session(stack, home)
    with session.ctx:
        address = session.ctx.signer.address
        assert address == chain.dev_address("spare1")
        model_id = session.new_model()
        price = session.daemon.validate_model_price(model_id)
        group = session.ctx.service_group(stack.org_id, stack.service_id)

        with pytest.raises(errors.ChannelError) as missing:
            session.pay(model_id, price)
        assert (f"no payment channel from {address} to testorg/default_group: open one with "
                f"`snet channel open testorg default_group 0.0000000000000002 +172800blocks`") in str(missing.value)
        for options in ({"open_channel": True}, {"open_channel": True, "dry_run": True}):
            with pytest.raises(errors.ChannelError, match=r"you have 0 cogs in escrow and 0 cogs \(0 FET\) of tokens"):
                session.pay(model_id, price, **options)
        assert snet_channels.my_channels(session.ctx.snet, group, address) == []

        stack.fund_escrow(chain.dev_private_key("spare1"), 10**6)
        with pytest.raises(errors.NotConfirmed, match="no terminal"):
            session.pay(model_id, price, yes=False, open_channel=True)
        dry = session.pay(model_id, price, yes=False, open_channel=True, dry_run=True)
        assert dry.paid is False and dry.document["channel_action"].startswith("snet channel open ")
        opened_payment = session.pay(model_id, price, open_channel=True)
        opened = snet_channels.my_channels(session.ctx.snet, group, address)
        assert [c.channel_id for c in opened] == [opened_payment.document["channel_id"]]
        assert opened[0].value == price and opened[0].sender == address
        assert opened_payment.result == "VALIDATING"
        opened_payment.settle()

        control.configure(validate_price=500)
        price = session.daemon.validate_model_price(model_id)
        short = session.wallet.choose(price)
        assert isinstance(short, FundingPlan)
        assert (f"`snet channel extend-add-for-org testorg default_group --channel-id {opened[0].channel_id} "
                f"--amount 0.0000000000000005`") in short.message()
        funded = session.pay(model_id, price, fund=True)
        assert funded.document["channel_id"] == opened[0].channel_id
        assert funded.document["signed_amount_cogs"] == 200 + 500
        assert snet_channels.my_channels(session.ctx.snet, group, address)[0].value == 200 + 500
        assert [e["increment"] for e in control.journal()] == [200, 500]
