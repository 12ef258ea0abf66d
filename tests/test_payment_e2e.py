"""End to end: choose the client's channel through snet-cli, pay training RPCs of the daemon double, fix channels on chain."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from snet_cli_training import auth, channels, client, errors, payment, protocol, service
from snet_cli_training.environment import Environment
from snet_cli_training.sandbox import chain, provision
from tests.support.cli import copy_home, use_home

LINK = "https://example.com/data.zip"


class Session:
    """snet-cli's session for one HOME, with the plugin's pieces built on it."""

    def __init__(self, stack, home: Path) -> None:
        from snet.cli.config import Config

        self.progress = io.StringIO()
        self.env = Environment(stdin=io.StringIO(), stdout=io.StringIO(), stderr=io.StringIO(),
                               snet_dir=home / ".snet")
        config = Config(_snet_folder=home / ".snet")
        args = argparse.Namespace(org_id=stack.org_id, service_id=stack.service_id, group_name=None, endpoint=None)
        self.command = service.client_command(config, args, out_f=self.progress, err_f=self.progress)
        self.target = service.resolve_service(config, args, command=self.command, out_f=self.progress,
                                              err_f=self.progress)
        self.authorizer = auth.session_authorizer(self.command)
        self.signer = self.authorizer.signer
        self.daemon = client.DaemonClient(self.target.endpoint, self.authorizer, timeout=10)
        self.channels = channels.SessionChannels(self.command, self.target, self.daemon, self.signer,
                                                 out=self.progress)
        self.journal = payment.PaymentJournal.for_environment(self.env, "local")

    def new_model(self) -> str:
        methods = service.trainable_methods(self.daemon)
        grpc_service, method = service.resolve_method(None, methods)
        return self.daemon.create_model(grpc_service, method, "paid model").model_id

    def validate(self, quote: payment.Quote):
        return payment.pay(quote, signer=self.signer, mpe_address=self.channels.mpe_address, journal=self.journal,
                           call=lambda metadata: self.daemon.validate_model(quote.model_id, LINK,
                                                                            payment_metadata=metadata))

    def close(self) -> None:
        self.daemon.close()


@pytest.fixture
def session(stack, process_home):
    opened = Session(stack, process_home)
    yield opened
    opened.close()


def test_validate_paid_exactly_once_with_the_price(stack, control, session):
    model_id = session.new_model()
    price = session.daemon.validate_model_price(model_id)
    quote, prior = payment.prepare(session.env, session.channels, session.journal, model_id=model_id,
                                   rpc="validate_model", price=price)
    assert prior is None
    assert quote.price_cogs == price == 200 and quote.amount_cogs == quote.last_signed_amount_cogs + price
    assert quote.last_signed_amount_cogs == 0  # the double's ledger was reset
    assert payment.confirm(session.env, quote, yes=True, max_price=price, dry_run=False)
    assert session.validate(quote) == "VALIDATING"
    paid = [entry for entry in control.journal() if entry["model_id"] == model_id]
    assert [(e["rpc"], e["increment"], e["amount"], e["channel_id"], e["payment_type"]) for e in paid] == [
        ("training.Daemon/validate_model", price, quote.amount_cogs, quote.channel_id, "train-call")]
    assert [e["state"] for e in session.journal.entries()] == ["accepted"]

    # The next quote starts from what the daemon now holds, and a prior payment is reported.
    again, prior = payment.prepare(session.env, session.channels, session.journal, model_id=model_id,
                                   rpc="validate_model", price=price)
    assert again.last_signed_amount_cogs == quote.amount_cogs and again.channel_id == quote.channel_id
    assert prior is not None and prior.outcome_was_known and prior.amount_cogs == quote.amount_cogs


def test_upload_is_paid_with_train_call_on_the_stream(control, session):
    model_id = session.new_model()
    price = session.daemon.validate_model_price(model_id)
    quote, _ = payment.prepare(session.env, session.channels, session.journal, model_id=model_id,
                               rpc="upload_and_validate", price=price)
    messages = protocol.messages()
    chunks = [messages.UploadInput(model_id=model_id, data=bytes([n]) * 10, file_name="d.zip", file_size=20,
                                   batch_size=10, batch_number=n, batch_count=2) for n in (1, 2)]
    status = payment.pay(quote, signer=session.signer, mpe_address=session.channels.mpe_address,
                         journal=session.journal,
                         call=lambda metadata: session.daemon.upload_and_validate(iter(chunks),
                                                                                  payment_metadata=metadata))
    assert status == "VALIDATING"
    assert [(e["increment"], e["payment_type"]) for e in control.journal()] == [(price, "train-call")]
    assert [e["state"] for e in session.journal.entries()] == ["accepted"]


def test_a_price_mismatch_is_refused_and_journaled_failed(control, session):
    model_id = session.new_model()
    price = session.daemon.validate_model_price(model_id)
    quote, _ = payment.prepare(session.env, session.channels, session.journal, model_id=model_id,
                               rpc="validate_model", price=price + 1)
    with pytest.raises(errors.PaymentError, match=f"income {price + 1} does not equal to price {price}"):
        session.validate(quote)
    assert control.journal() == []
    assert [e["state"] for e in session.journal.entries()] == ["failed"]


def test_reconciliation_finds_an_accepted_payment_whose_answer_was_lost(control, session):
    model_id = session.new_model()
    price = session.daemon.validate_model_price(model_id)
    quote, _ = payment.prepare(session.env, session.channels, session.journal, model_id=model_id,
                               rpc="validate_model", price=price)

    def lost_answer(metadata):
        session.daemon.validate_model(model_id, LINK, payment_metadata=metadata)
        raise KeyboardInterrupt  # the answer never reached the command

    with pytest.raises(KeyboardInterrupt):
        payment.pay(quote, signer=session.signer, mpe_address=session.channels.mpe_address,
                    journal=session.journal, call=lost_answer)
    assert [e["state"] for e in session.journal.entries()] == ["signed"]
    train_quote, prior = payment.prepare(session.env, session.channels, session.journal, model_id=model_id,
                                         rpc="validate_model", price=price)
    assert prior is not None and not prior.outcome_was_known
    assert prior.describe().startswith(f"already paid for validation of model {model_id} (channel {quote.channel_id}")
    assert [e["state"] for e in session.journal.entries()] == ["accepted"]
    assert len(control.journal()) == 1

    # A signature that never reached the daemon is found rolled back.
    session.journal.record_signed(train_quote)
    payment.prepare(session.env, session.channels, session.journal, model_id=model_id, rpc="validate_model",
                    price=price)
    assert [e["state"] for e in session.journal.entries()] == ["accepted", "failed"]


def test_missing_and_short_channels_are_fixed_only_with_consent(stack, control, tmp_path, monkeypatch):
    spare_home = tmp_path / "spare1"
    network = provision.Network(rpc=stack.rpc, ipfs_port=stack.ipfs_port, registry=stack.registry_address,
                                mpe=stack.mpe_address, token=stack.token_address,
                                daemon_endpoint=stack.daemon_endpoint)
    provision.write_home(spare_home, network, "spare1", chain.dev_private_key("spare1"))
    session = Session(stack, use_home(copy_home(spare_home, tmp_path / "home"), monkeypatch))
    try:
        address = session.signer.address
        assert address == chain.dev_address("spare1")
        model_id = session.new_model()
        price = session.daemon.validate_model_price(model_id)
        prepare = dict(model_id=model_id, rpc="validate_model", price=price)

        with pytest.raises(errors.ChannelError) as missing:
            payment.prepare(session.env, session.channels, session.journal, **prepare)
        assert (f"no payment channel from {address} to testorg/default_group: open one with "
                f"`snet channel open testorg default_group 0.0000000000000002 +172800blocks`") in str(missing.value)
        with pytest.raises(errors.NotConfirmed, match="no terminal"):
            payment.prepare(session.env, session.channels, session.journal, open_channel=True, **prepare)
        with pytest.raises(errors.ChannelError, match="dry run: no transaction was sent"):
            payment.prepare(session.env, session.channels, session.journal, open_channel=True, dry_run=True,
                            **prepare)
        with pytest.raises(errors.ChannelError, match=r"escrow balance is 0 cogs .* `snet account deposit "):
            payment.prepare(session.env, session.channels, session.journal, open_channel=True, yes=True, **prepare)
        assert session.channels.my_channels() == []

        stack.fund_escrow(chain.dev_private_key("spare1"), 10**6)
        quote, _ = payment.prepare(session.env, session.channels, session.journal, open_channel=True, yes=True,
                                   **prepare)
        opened = session.channels.my_channels()
        assert [c.channel_id for c in opened] == [quote.channel_id]
        assert opened[0].value == price and opened[0].sender == address
        assert session.validate(quote) == "VALIDATING"

        control.configure(validate_price=500)
        price = session.daemon.validate_model_price(model_id)
        prepare["price"] = price
        with pytest.raises(errors.ChannelError) as short:
            payment.prepare(session.env, session.channels, session.journal, **prepare)
        assert (f"`snet channel extend-add-for-org testorg default_group --channel-id {quote.channel_id} "
                f"--amount 0.0000000000000005`") in str(short.value)
        again, _ = payment.prepare(session.env, session.channels, session.journal, fund=True, yes=True, **prepare)
        assert again.channel_id == quote.channel_id and again.channel_value_cogs == 200 + 500
        assert again.last_signed_amount_cogs == 200
        assert session.validate(again) == "VALIDATING"
        assert [e["increment"] for e in control.journal()] == [200, 500]
    finally:
        session.close()
