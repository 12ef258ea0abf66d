"""Unit tests of payment/: quotes, headers, signatures, the consent rule, channel rules, the journal, paying once."""

from __future__ import annotations

import dataclasses
import io
import json
import os
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from snet_cli_training import errors
from snet_cli_training.console.streams import Console
from snet_cli_training.daemon import authorization as auth
from snet_cli_training.daemon.replies import ChannelState
from snet_cli_training.payment import channels, checkout, claim, journal as journals, policy
from snet_cli_training.payment.options import PaymentOptions
from snet_cli_training.payment.quote import Purchase, Quote
from snet_cli_training.snetcli.channels import Channel

MPE = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
KEY = "0x" + "11" * 32


def _signer() -> auth.Signer:
    account = Account.from_key(KEY)
    return auth.Signer(account.address, lambda h: bytes(Account.unsafe_sign_hash(
        Web3.keccak(b"\x19Ethereum Signed Message:\n32" + h), KEY).signature))


def _quote(**overrides) -> Quote:
    values = dict(model_id="m1", rpc="validate_model", price_cogs=200, channel_id=7, nonce=2,
                  last_signed_amount_cogs=1000, channel_value_cogs=10**6, channel_expiration=5000)
    values.update(overrides)
    return Quote(**values)


def _state(nonce=0, signed=0, old=0) -> ChannelState:
    return ChannelState(current_nonce=nonce, current_signed_amount=signed, current_signature=b"",
                        old_nonce_signed_amount=old, old_nonce_signature=b"")


def _channel(channel_id=7, value=1000, expiration=10_000, nonce=0) -> Channel:
    return Channel(channel_id=channel_id, sender="0xS", signer="0xS", recipient="0xR", group_id=b"g" * 32,
                            value=value, expiration=expiration, nonce=nonce)


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _env(tmp_path: Path, answer: str | None = None) -> Console:
    stream = _Tty if answer is not None else io.StringIO
    return Console(stdin=stream(answer or ""), stdout=io.StringIO(), stderr=stream(), snet_dir=tmp_path / ".snet")


# --- the quote ---

def test_quote_amount_is_last_signed_plus_price_and_dict_has_cli_keys():
    quote = _quote()
    assert quote.amount_cogs == 1200
    assert quote.to_dict(paid=False) == {
        "model_id": "m1", "rpc": "validate_model", "price_cogs": 200, "price": "0.0000000000000002",
        "token": "FET", "channel_id": 7, "nonce": 2, "signed_amount_cogs": 1200, "paid": False}
    assert quote.to_dict(paid=True)["paid"] is True
    assert quote.describe() == "Pay 200 cogs (0.0000000000000002 FET) for validating data (model m1)?"
    bought = dataclasses.replace(quote, purchase=Purchase("snet-org/example", "validating data.zip", "my model"))
    assert bought.describe() == ('Pay 200 cogs (0.0000000000000002 FET) to snet-org/example for validating data.zip '
                                 '(model "my model")?')
    assert bought.details() == ("payment channel 7: signs a cumulative 1200 cogs (0.0000000000000012 FET) at nonce 2; "
                                "last signed 1000 cogs; channel value 1000000 cogs")
    with pytest.raises(ValueError):
        _quote(rpc="delete_model")


def test_quote_from_a_channel_choice():
    choice = channels.ChannelChoice(_channel(value=5000, expiration=900), _state(nonce=3, signed=40), 100, 4960)
    quote = Quote.from_choice("m2", "train_model", 10, choice)
    assert (quote.channel_id, quote.nonce, quote.last_signed_amount_cogs, quote.amount_cogs) == (7, 3, 40, 50)
    assert (quote.channel_value_cogs, quote.channel_expiration) == (5000, 900)


# --- headers and signature ---

def _metadata(quote: Quote, signature: bytes) -> list:
    return claim.payment_metadata(rpc=quote.rpc, model_id=quote.model_id, channel_id=quote.channel_id, nonce=quote.nonce,
                                  amount=quote.amount_cogs, signature=signature)


def test_payment_metadata_keys_and_values():
    quote = _quote(rpc="upload_and_validate")
    metadata = _metadata(quote, b"\x01" * 65)
    assert metadata == [
        ("snet-payment-type", "train-call"), ("snet-payment-channel-id", "7"), ("snet-payment-channel-nonce", "2"),
        ("snet-payment-channel-amount", "1200"), ("snet-payment-channel-signature-bin", b"\x01" * 65),
        ("snet-train-model-id", "m1")]
    call = dict(_metadata(_quote(rpc="call"), b"\x01" * 65))
    assert call["snet-payment-type"] == "escrow" and "snet-train-model-id" not in call


def test_claim_hash_matches_solidity_keccak_and_signature_recovers_to_signer():
    expected = Web3.solidity_keccak(["string", "address", "uint256", "uint256", "uint256"],
                                    ["__MPE_claim_message", MPE, 7, 2, 1200])
    assert claim.claim_hash(MPE, 7, 2, 1200) == bytes(expected)
    signer = _signer()
    signature = signer.sign_hash(claim.claim_hash(MPE, 7, 2, 1200))
    assert len(signature) == 65
    assert auth.recover_signer(claim.claim_hash(MPE, 7, 2, 1200), signature) == signer.address


def test_channel_state_hash_matches_solidity_keccak():
    expected = Web3.solidity_keccak(["string", "address", "uint256", "uint256"], ["__get_channel_state", MPE, 7, 99])
    assert claim.channel_state_hash(MPE, 7, 99) == bytes(expected)


# --- the confirmation rule ---

@pytest.mark.parametrize("yes", [False, True])
@pytest.mark.parametrize("dry_run", [False, True])
def test_price_above_max_price_is_refused_whatever_else(tmp_path, yes, dry_run):
    with pytest.raises(errors.NotConfirmed, match="above --max-price 199") as caught:
        policy.consent_to_pay(_env(tmp_path, "y\n"), _quote(), PaymentOptions(yes=yes, max_price=199, dry_run=dry_run))
    assert caught.value.exit_status == errors.ExitStatus.NOT_CONFIRMED
    assert caught.value.document == _quote().to_dict(paid=False)


def test_dry_run_neither_asks_nor_goes(tmp_path):
    env = _env(tmp_path, "y\n")
    assert policy.consent_to_pay(env, _quote(), PaymentOptions(max_price=200, dry_run=True)) is False
    assert env.stderr.getvalue() == ""


def test_yes_goes_without_asking(tmp_path):
    env = _env(tmp_path)
    assert policy.consent_to_pay(env, _quote(), PaymentOptions(yes=True)) is True
    assert env.stderr.getvalue() == ""


def test_no_terminal_and_no_yes_is_not_confirmed(tmp_path):
    with pytest.raises(errors.NotConfirmed, match="no terminal to confirm on; pass -y/--yes to pay"):
        policy.consent_to_pay(_env(tmp_path), _quote(), PaymentOptions(max_price=1000))


@pytest.mark.parametrize("answer,goes", [("y\n", True), ("yes\n", True), ("n\n", False), ("\n", False)])
def test_terminal_asks_on_stderr_and_reads_stdin(tmp_path, answer, goes):
    env = _env(tmp_path, answer)
    if goes:
        assert policy.consent_to_pay(env, _quote(), PaymentOptions()) is True
    else:
        with pytest.raises(errors.NotConfirmed):
            policy.consent_to_pay(env, _quote(), PaymentOptions())
    assert env.stderr.getvalue() == "Pay 200 cogs (0.0000000000000002 FET) for validating data (model m1)? [y/N] "


def test_verbose_shows_what_is_signed_before_the_question(tmp_path):
    env = _env(tmp_path, "y\n")
    assert policy.consent_to_pay(env, _quote(), PaymentOptions(verbose=True)) is True
    details, question = env.stderr.getvalue().split("\n")
    assert details == _quote().details() and question.startswith("Pay 200 cogs")


def _fix(kind="open") -> channels.ChannelFix:
    return channels.ChannelFix(kind, "testorg", "default_group", 10, 172800 if kind == "open" else 0, "no channel",
                               None if kind == "open" else 7, needed=10)


def test_a_channel_transaction_is_asked_without_the_price_ceiling(tmp_path):
    env = _env(tmp_path, "y\n")
    assert policy.consent_to_fix(env, _fix(), PaymentOptions(max_price=0)) is True
    assert "Open a payment channel" in env.stderr.getvalue()
    assert policy.consent_to_fix(_env(tmp_path, "y\n"), _fix(), PaymentOptions(dry_run=True)) is False


# --- channel choice ---

def _choose(candidates, price=100, block=1000, threshold=100, margin=10):
    return channels.choose_channel(candidates, price, current_block=block, expiration_threshold=threshold,
                                   org_id="testorg", group_name="default_group", sender="0xMe", margin=margin)


def test_choose_prefers_unexpired_channel_with_most_unspent():
    expired = (_channel(1, value=10**6, expiration=1100), _state())
    small = (_channel(2, value=150), _state(signed=40))
    big = (_channel(3, value=900), _state(signed=100))
    choice = _choose([expired, small, big])
    assert (choice.channel_id, choice.unspent, choice.last_signed_amount) == (3, 800, 100)
    assert _choose([expired, small]).channel_id == 2


def test_unspent_counts_the_old_nonce_after_a_claim():
    assert channels.unspent_amount(_channel(value=1000, nonce=1), _state(nonce=2, signed=30, old=50)) == 920
    assert channels.unspent_amount(_channel(value=1000, nonce=2), _state(nonce=2, signed=30)) == 970
    with pytest.raises(errors.ChannelError, match="disagree"):
        channels.unspent_amount(_channel(nonce=0), _state(nonce=2))


def test_no_channel_names_snet_channel_open():
    fix = _choose([], price=10)
    assert isinstance(fix, channels.ChannelFix) and fix.kind == "open" and fix.amount == 10
    assert "`snet channel open testorg default_group 0.00000000000000001 +172800blocks`" in fix.message()
    assert fix.message().startswith("no payment channel from 0xMe to testorg/default_group: open one with ")


def test_short_channel_names_extend_add_with_the_shortfall():
    fix = _choose([(_channel(7, value=150), _state(signed=100))], price=120)
    message = fix.message()
    assert "50 cogs unspent" in message and "70 cogs short" in message
    assert ("`snet channel extend-add-for-org testorg default_group --channel-id 7 --amount 0.00000000000000007`"
            in message)
    assert (fix.kind, fix.amount, fix.expiration_blocks) == ("fund", 70, 0)


def test_expiring_channel_names_the_extension():
    message = _choose([(_channel(7, value=10**6, expiration=1110), _state())], block=1000, threshold=100,
                      margin=10).message()
    assert "expires at block 1110" in message and "outlive block 1110" in message
    assert "--channel-id 7 --expiration +172800blocks`" in message and "--amount" not in message


# --- the journal ---

def _entry(id_, state="signed", *, channel_id=7, nonce=0, amount=10, model_id="m1", rpc="validate_model",
           network="local"):
    return {"id": id_, "network": network, "channel_id": channel_id, "nonce": nonce, "amount": amount, "price": 10,
            "model_id": model_id, "rpc": rpc, "time": "2024-01-01T00:00:00+00:00", "state": state}


def test_reconcile_marks_accepted_when_daemon_reached_the_amount_and_failed_below():
    entries = [_entry("a", amount=10), _entry("b", amount=20, model_id="m2"), _entry("c", channel_id=8),
               _entry("d", network="other")]
    updated, accepted = journals.reconcile_entries(entries, network="local", channel_id=7, state=_state(signed=10))
    assert [e["state"] for e in updated] == ["accepted", "failed", "signed", "signed"]
    assert accepted == ["a"]
    prior = journals.prior_payment(updated, network="local", model_id="m1", rpc="validate_model", resolved_now=accepted)
    assert prior is not None and not prior.outcome_was_known and prior.amount_cogs == 10
    assert "already paid for validation of model m1 (channel 7, amount 10 cogs" in prior.describe()
    assert journals.prior_payment(updated, network="local", model_id="m2", rpc="validate_model") is None
    assert journals.prior_payment(updated, network="local", model_id="m1", rpc="train_model") is None


def test_reconcile_uses_the_old_nonce_amount_and_leaves_older_nonces():
    entries = [_entry("a", nonce=1, amount=10), _entry("b", nonce=0, amount=5)]
    updated, _ = journals.reconcile_entries(entries, network="local", channel_id=7, state=_state(nonce=2, old=9))
    assert [e["state"] for e in updated] == ["failed", "signed"]


def test_journal_round_trip_is_private_and_reconciles(tmp_path):
    env = _env(tmp_path)
    journal = journals.PaymentJournal(env.training_dir / journals.FILE_NAME, network="local", warn=env.warn)
    first = journal.record_signed(_quote(last_signed_amount_cogs=0, price_cogs=10))
    second = journal.record_signed(_quote(last_signed_amount_cogs=0, price_cogs=10, model_id="m2"))
    journal.mark(second, journals.FAILED)
    assert os.stat(journal.path).st_mode & 0o777 == 0o600
    assert [e["state"] for e in journal.entries()] == ["signed", "failed"]
    assert journal.reconcile(7, _state(nonce=2, signed=0), model_id="m1", rpc="validate_model") is None
    assert [e["state"] for e in journal.entries()] == ["failed", "failed"]
    third = journal.record_signed(_quote(last_signed_amount_cogs=0, price_cogs=10))
    journal.mark(third, journals.ACCEPTED)
    prior = journal.reconcile(7, _state(nonce=2, signed=10), model_id="m1", rpc="validate_model")
    assert prior is not None and prior.outcome_was_known and first != third
    with pytest.raises(ValueError):
        journal.mark(third, "signed")


def test_corrupt_journal_is_ignored_with_a_warning(tmp_path):
    env = _env(tmp_path)
    journal = journals.PaymentJournal(env.training_dir / journals.FILE_NAME, network="local", warn=env.warn)
    journal.path.parent.mkdir(parents=True)
    journal.path.write_text("{not json")
    journal.path.chmod(0o600)
    assert journal.entries() == []
    assert "WARNING: ignoring" in env.stderr.getvalue()
    entry_id = journal.record_signed(_quote())
    assert [e["id"] for e in journal.entries()] == [entry_id]
    journal.path.write_text(json.dumps({"format": "snet-cli-training/payments", "version": 1, "entries": [{"id": 1}]}))
    assert journal.entries() == []


class _FakeJournal:
    def __init__(self, prior=None):
        self.marks, self.prior = [], prior

    def reconcile(self, channel_id, state, *, model_id, rpc):
        return self.prior

    def record_signed(self, quote):
        return "e1"

    def mark(self, entry_id, state):
        self.marks.append(state)


class _FakeWallet:
    """A wallet whose channel needs `fix` until apply() ran it (no fix: it can pay at once)."""

    def __init__(self, fix=None):
        self.fix, self.applied = fix, []
        self.signer, self.mpe_address = _signer(), MPE

    def choose(self, price):
        if self.fix is not None and not self.applied:
            return self.fix
        return channels.ChannelChoice(_channel(value=10**6), _state(nonce=2, signed=1000), 1, 10**6 - 1000)

    def apply(self, fix):
        self.applied.append(fix)
        return 7


def _pay(console, wallet, journal, options, send):
    return checkout.pay_once(console, wallet, journal, options, model_id="m1", rpc="validate_model", price=200, send=send)


@pytest.mark.parametrize("raised,mark", [(None, ["accepted"]), (errors.PaymentError("income"), ["failed"]),
                                         (errors.DaemonUnavailable("down"), []), (KeyboardInterrupt(), [])])
def test_pay_once_journals_the_outcome(tmp_path, raised, mark):
    journal, seen = _FakeJournal(), []

    def send(metadata):
        seen.append(dict(metadata))
        if raised is not None:
            raise raised
        return "VALIDATING"

    wallet = _FakeWallet()
    if raised is None:
        payment = _pay(_env(tmp_path), wallet, journal, PaymentOptions(yes=True), send)
        assert (payment.paid, payment.result, payment.document) == (True, "VALIDATING", _quote().to_dict(paid=True))
    else:
        with pytest.raises(type(raised)):
            _pay(_env(tmp_path), wallet, journal, PaymentOptions(yes=True), send)
    assert journal.marks == mark
    signature = seen[0]["snet-payment-channel-signature-bin"]
    assert auth.recover_signer(claim.claim_hash(MPE, 7, 2, 1200), signature) == wallet.signer.address


def test_pay_once_does_not_pay_again_for_work_an_interrupted_run_paid(tmp_path):
    prior = journals.PriorPayment("m1", "validate_model", 7, 2, 1200, 200, "then", outcome_was_known=False)
    env = _env(tmp_path)
    payment = _pay(env, _FakeWallet(), _FakeJournal(prior), PaymentOptions(yes=True), lambda metadata: 1 / 0)
    assert payment.paid is False and payment.prior == prior and "not paying again" in env.stderr.getvalue()
    again = _pay(env, _FakeWallet(), _FakeJournal(prior), PaymentOptions(yes=True, pay_again=True), lambda m: "VALIDATING")
    assert again.paid is True


@pytest.mark.parametrize("kind,flag", [("open", "open_channel"), ("fund", "fund")])
def test_channel_fix_needs_its_flag_and_consent(tmp_path, kind, flag):
    wallet, sent = _FakeWallet(_fix(kind)), []

    def send(metadata):
        sent.append(metadata)
        return "VALIDATING"

    with pytest.raises(errors.ChannelError, match="no channel"):
        _pay(_env(tmp_path), wallet, _FakeJournal(), PaymentOptions(yes=True), send)
    with pytest.raises(errors.NotConfirmed, match="no terminal"):
        _pay(_env(tmp_path), wallet, _FakeJournal(), PaymentOptions(**{flag: True}), send)
    dry = _pay(_env(tmp_path), wallet, _FakeJournal(), PaymentOptions(dry_run=True, **{flag: True}), send)
    assert dry.paid is False and dry.document["channel_action"] == _fix(kind).snet_command()
    env = _env(tmp_path, "n\n")
    with pytest.raises(errors.NotConfirmed):
        _pay(env, wallet, _FakeJournal(), PaymentOptions(**{flag: True}), send)
    assert "an on-chain transaction" in env.stderr.getvalue() and wallet.applied == [] and sent == []
    payment = _pay(_env(tmp_path, "y\n"), wallet, _FakeJournal(), PaymentOptions(yes=True, **{flag: True}), send)
    assert payment.paid is True and wallet.applied == [_fix(kind)] and len(sent) == 1
