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
from snet_cli_training.payment.progress import PaymentProgress
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
    assert quote.to_dict(paid=True) == {
        "model_id": "m1", "rpc": "validate_model", "price_cogs": 200, "price": "0.0000000000000002",
        "token": "FET", "channel_id": 7, "nonce": 2, "signed_amount_cogs": 1200, "paid": True}
    # unpaid, the channel still stands at the last signed amount: nothing signed 1200
    assert quote.to_dict(paid=False) == {**quote.to_dict(paid=True), "signed_amount_cogs": 1000, "paid": False}
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


def _fix(kind="open") -> channels.FundingPlan:
    return channels.FundingPlan(kind, "testorg", "default_group", 10, 172800 if kind == "open" else 0, "no channel",
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
    assert isinstance(fix, channels.FundingPlan) and fix.kind == "open" and fix.amount == 10
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


# --- the journal

WORK = journals.Work("validate_model", "m1", "link:https://example.com/d.zip")


def _entry(id_, state="signed", *, channel_id=7, nonce=0, amount=10, model_id="m1", rpc="validate_model",
           network="local", work="link:https://example.com/d.zip"):
    return {"id": id_, "network": network, "channel_id": channel_id, "nonce": nonce, "amount": amount, "price": 10,
            "model_id": model_id, "rpc": rpc, "work": work, "time": "2024-01-01T00:00:00+00:00", "state": state}


def _journal(tmp_path, warnings=None) -> journals.PaymentJournal:
    return journals.PaymentJournal(tmp_path / "training" / journals.FILE_NAME, network="local",
                                   warn=(warnings if warnings is not None else []).append)


def _write_journal(journal, entries, version=2, mode=0o600):
    journal.path.parent.mkdir(parents=True, exist_ok=True)
    journal.path.write_text(json.dumps({"format": "snet-cli-training/payments", "version": version, "entries": entries}))
    journal.path.chmod(mode)


def test_reconcile_marks_accepted_when_daemon_reached_the_amount_and_failed_below():
    entries = [_entry("a", amount=10), _entry("b", amount=20, model_id="m2"), _entry("c", channel_id=8),
               _entry("d", network="other")]
    updated = journals.reconcile_entries(entries, network="local", channel_id=7, state=_state(signed=10))
    assert [e["state"] for e in updated] == ["accepted", "failed", "signed", "signed"]
    prior = journals.prior_payment(updated, "local", WORK)
    assert prior is not None and not prior.reported and prior.amount_cogs == 10
    assert "already paid 10 cogs for validation of model m1 (channel 7, signed amount 10 cogs" in prior.describe()
    assert journals.prior_payment(updated, "local", journals.Work("validate_model", "m2", WORK.subject)) is None
    assert journals.prior_payment(updated, "local", journals.Work("train_model", "m1")) is None


def test_a_prior_payment_is_for_the_same_work_only():
    entries = [_entry("a", state="reported")]
    assert journals.prior_payment(entries, "local", WORK).reported is True
    assert journals.prior_payment(entries, "local", journals.Work("validate_model", "m1", "link:other")) is None


def test_reconcile_uses_the_old_nonce_amount_and_leaves_older_nonces():
    entries = [_entry("a", nonce=1, amount=10), _entry("b", nonce=0, amount=5)]
    updated = journals.reconcile_entries(entries, network="local", channel_id=7, state=_state(nonce=2, old=9))
    assert [e["state"] for e in updated] == ["failed", "signed"]


def test_journal_round_trip_is_private_and_reconciles(tmp_path):
    journal = _journal(tmp_path)
    first = journal.record_signed(_quote(last_signed_amount_cogs=0, price_cogs=10), WORK)
    second = journal.record_signed(_quote(last_signed_amount_cogs=0, price_cogs=10, model_id="m2"),
                                   journals.Work("validate_model", "m2", WORK.subject))
    journal.mark(second, journals.FAILED)
    assert os.stat(journal.path).st_mode & 0o777 == 0o600
    assert [e["state"] for e in journal.entries()] == ["signed", "failed"]
    journal.reconcile(7, _state(nonce=2, signed=0))
    assert [e["state"] for e in journal.entries()] == ["failed", "failed"] and journal.prior(WORK) is None
    third = journal.record_signed(_quote(last_signed_amount_cogs=0, price_cogs=10), WORK)
    journal.mark(third, journals.ACCEPTED)
    assert journal.prior(WORK).reported is False and [p.entry_id for p in journal.unreported("m1")] == [third]
    journal.mark(third, journals.REPORTED)
    assert journal.prior(WORK).reported is True and journal.unreported("m1") == [] and first != third
    with pytest.raises(ValueError):
        journal.mark(third, "signed")


@pytest.mark.parametrize("content", [
    "{not json",
    json.dumps({"format": "snet-cli-training/payments", "version": 2, "entries": [{"id": 1}]}),
    json.dumps({"format": "snet-cli-training/payments", "version": 2, "entries": [_entry("a", amount=-1)]}),
    json.dumps({"format": "snet-cli-training/payments", "version": 2, "entries": [_entry("a", nonce="0")]}),
    "[" * 100_000 + "]" * 100_000,
])
def test_an_unreadable_journal_stops_payments_and_is_never_overwritten(tmp_path, content):
    journal = _journal(tmp_path)
    journal.path.parent.mkdir(parents=True)
    journal.path.write_text(content)
    journal.path.chmod(0o600)
    with pytest.raises(journals.JournalUnreadable, match=f"{journal.path}.*--pay-again"):
        journal.entries()
    with pytest.raises(journals.JournalUnreadable):
        journal.record_signed(_quote(), WORK)
    assert journal.path.read_text() == content
    aside = journal.set_aside()
    assert aside.read_text() == content and not journal.path.exists() and journal.entries() == []


def test_a_group_writable_journal_of_this_user_is_made_private_again(tmp_path):
    warnings: list[str] = []
    journal = _journal(tmp_path, warnings)
    _write_journal(journal, [_entry("a", state="accepted")], mode=0o664)
    assert journal.prior(WORK).entry_id == "a"
    assert os.stat(journal.path).st_mode & 0o777 == 0o600 and len(warnings) == 1 and "0600" in warnings[0]
    journal.entries()
    assert len(warnings) == 1  # said once


def test_a_fifo_journal_never_hangs(tmp_path):
    journal = _journal(tmp_path)
    journal.path.parent.mkdir(parents=True)
    os.mkfifo(journal.path)
    with pytest.raises(journals.JournalUnreadable, match="not a regular file"):
        journal.entries()


def test_a_version_1_journal_stands_for_any_work_of_its_model(tmp_path):
    journal = _journal(tmp_path)
    old = {key: value for key, value in _entry("a", state="signed").items() if key != "work"}
    _write_journal(journal, [old, {**old, "id": "b", "state": "accepted"}], version=1)
    assert [e["state"] for e in journal.entries()] == ["signed", "reported"]
    journal.reconcile(7, _state(signed=10))
    assert [p.entry_id for p in journal.unreported("m1")] == ["a"]
    assert journal.prior(journals.Work("validate_model", "m1", "link:anything")).entry_id == "b"


class _FakeWallet:
    """A wallet whose channel needs `fix` until apply() ran it (no fix: it can pay at once)."""

    def __init__(self, fix=None):
        self.fix, self.applied = fix, []
        self.signer, self.mpe_address = _signer(), MPE

    def choose(self, price):
        if self.fix is not None and not self.applied:
            return self.fix
        return channels.ChannelChoice(_channel(value=10**6), _state(nonce=2, signed=1000), 1, 10**6 - 1000)

    def with_deposit(self, plan):
        return plan

    def apply(self, fix):
        self.applied.append(fix)
        return 7


def _pay(tmp_path, console, wallet, options, send, *, progress=None, refuse_repeat=False):
    return checkout.pay_once(console, wallet, _journal(tmp_path), options, progress or PaymentProgress(), work=WORK,
                             price=200, send=send, refuse_repeat=refuse_repeat)


@pytest.mark.parametrize("raised,states", [(None, ["accepted"]), (errors.PaymentError("income"), ["failed"]),
                                           (errors.DaemonUnavailable("down"), ["signed"]),
                                           (KeyboardInterrupt(), ["signed"])])
def test_pay_once_journals_the_outcome_the_moment_it_is_known(tmp_path, raised, states):
    seen, progress = [], PaymentProgress()

    def send(metadata):
        seen.append(dict(metadata))
        if raised is not None:
            raise raised
        return "VALIDATING"

    wallet = _FakeWallet()
    if raised is None:
        payment = _pay(tmp_path, _env(tmp_path), wallet, PaymentOptions(yes=True), send, progress=progress)
        assert (payment.paid, payment.result, payment.document) == (True, "VALIDATING", _quote().to_dict(paid=True))
        assert progress.interruption().startswith("interrupted after the daemon accepted 200 cogs for validation")
        payment.settle()
        states = ["reported"]
    else:
        with pytest.raises(type(raised)):
            _pay(tmp_path, _env(tmp_path), wallet, PaymentOptions(yes=True), send, progress=progress)
        assert progress.interruption().startswith("interrupted after signing 200 cogs")
    assert [e["state"] for e in _journal(tmp_path).entries()] == states
    assert _journal(tmp_path).entries()[0]["work"] == WORK.subject
    signature = seen[0]["snet-payment-channel-signature-bin"]
    assert auth.recover_signer(claim.claim_hash(MPE, 7, 2, 1200), signature) == wallet.signer.address


def test_an_interrupted_runs_payment_is_not_paid_again_and_a_reported_one_only_when_allowed(tmp_path):
    env = _env(tmp_path)

    def interrupted(metadata):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _pay(tmp_path, env, _FakeWallet(), PaymentOptions(yes=True), interrupted)
    # the daemon's state (last signed 1000 at nonce 2) does not reach the entry's 1200: rolled back
    assert [e["state"] for e in _journal(tmp_path).entries()] == ["signed"]
    journal = _journal(tmp_path)
    journal.mark(journal.entries()[0]["id"], journals.ACCEPTED)  # as if the daemon had committed it
    rerun = _pay(tmp_path, env, _FakeWallet(), PaymentOptions(yes=True), lambda metadata: 1 / 0)
    assert rerun.paid is False and rerun.prior is not None and "not paying again" in env.stderr.getvalue()
    rerun.settle()
    with pytest.raises(errors.NotConfirmed, match="--pay-again") as refused:
        _pay(tmp_path, env, _FakeWallet(), PaymentOptions(yes=True), lambda metadata: 1 / 0, refuse_repeat=True)
    assert refused.value.document["paid"] is False
    again = _pay(tmp_path, env, _FakeWallet(), PaymentOptions(yes=True, pay_again=True), lambda m: "VALIDATING",
                 refuse_repeat=True)
    assert again.paid is True


@pytest.mark.parametrize("kind,flag", [("open", "open_channel"), ("fund", "fund")])
def test_channel_fix_needs_its_flag_and_consent(tmp_path, kind, flag):
    wallet, sent = _FakeWallet(_fix(kind)), []

    def send(metadata):
        sent.append(metadata)
        return "VALIDATING"

    with pytest.raises(errors.ChannelError, match="no channel"):
        _pay(tmp_path, _env(tmp_path), wallet, PaymentOptions(yes=True), send)
    with pytest.raises(errors.NotConfirmed, match="no terminal"):
        _pay(tmp_path, _env(tmp_path), wallet, PaymentOptions(**{flag: True}), send)
    dry = _pay(tmp_path, _env(tmp_path), wallet, PaymentOptions(dry_run=True, **{flag: True}), send)
    assert dry.paid is False and dry.document["channel_action"] == _fix(kind).snet_command()
    env = _env(tmp_path, "n\n")
    with pytest.raises(errors.NotConfirmed):
        _pay(tmp_path, env, wallet, PaymentOptions(**{flag: True}), send)
    assert "an on-chain transaction" in env.stderr.getvalue() and wallet.applied == [] and sent == []
    payment = _pay(tmp_path, _env(tmp_path, "y\n"), wallet, PaymentOptions(yes=True, **{flag: True}), send)
    assert payment.paid is True and wallet.applied == [_fix(kind)] and len(sent) == 1
