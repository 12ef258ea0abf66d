"""MultiPartyEscrow payments as the daemon's escrow package takes them (docs/protocol.md#payment).

The ledger keeps, per channel, the last accepted (nonce, amount, signature); a payment's
income is its amount minus that, and must equal the price exactly.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from collections.abc import Callable

import grpc

from snet_cli_training.sandbox.daemon.chain_view import Channel, ChainView
from snet_cli_training.sandbox.daemon.signing import SignatureError, address_bytes, recover_signer, u256

PAYMENT_TYPE = "snet-payment-type"
CHANNEL_ID = "snet-payment-channel-id"
NONCE = "snet-payment-channel-nonce"
AMOUNT = "snet-payment-channel-amount"
SIGNATURE = "snet-payment-channel-signature-bin"
MODEL_ID = "snet-train-model-id"

# The daemon reports a wrong nonce with custom status code 1000 (escrow.IncorrectNonce);
# Python clients see that as UNKNOWN with the text inside `Server sent unknown code ...`.
# grpcio's server can only send the codes of grpc.StatusCode, so the double sends UNKNOWN
# with the daemon's text: matching on the substring works against both.
INCORRECT_NONCE = grpc.StatusCode.UNKNOWN


class PaymentError(Exception):
    def __init__(self, code: object, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class _Accepted:
    nonce: int
    amount: int
    signature: bytes


def _go_bytes(data: bytes) -> str:
    return "[" + " ".join(str(b) for b in data) + "]"


def _single(metadata: dict[str, list], key: str) -> object | None:
    values = metadata.get(key, [])
    if len(values) > 1:
        raise PaymentError(grpc.StatusCode.INVALID_ARGUMENT, f'too many values for key "{key}": {values}')
    return values[0] if values else None


def _required(metadata: dict[str, list], key: str) -> object:
    value = _single(metadata, key)
    if value is None:
        raise PaymentError(grpc.StatusCode.INVALID_ARGUMENT, f'missing "{key}"')
    return value


def _big_int(metadata: dict[str, list], key: str) -> int:
    text = _required(metadata, key)
    try:
        return int(text, 0) if not text.isdigit() else int(text, 10)
    except (TypeError, ValueError):
        raise PaymentError(grpc.StatusCode.INVALID_ARGUMENT, f'incorrect format "{key}": "{text}"') from None


@dataclass
class PaymentRequest:
    payment_type: str
    channel_id: int
    nonce: int
    amount: int
    signature: bytes
    model_id: str | None


class Transaction:
    """A payment holding its channel's lock until commit() or rollback()."""

    def __init__(self, gate: PaymentGate, payment: PaymentRequest, channel: Channel, increment: int) -> None:
        self.gate, self.payment, self.channel, self.increment = gate, payment, channel, increment
        self.done = False

    def commit(self, rpc: str, model_id: str) -> None:
        if self.done:
            return
        self.done = True
        p = self.payment
        with self.gate.lock:
            self.gate.accepted[p.channel_id] = _Accepted(p.nonce, p.amount, p.signature)
            self.gate.journal.append({
                "channel_id": p.channel_id, "nonce": p.nonce, "amount": p.amount, "increment": self.increment,
                "rpc": rpc, "model_id": model_id, "payment_type": p.payment_type, "time": time.time()})
            self.gate.locked.discard(p.channel_id)

    def rollback(self) -> None:
        if self.done:
            return
        self.done = True
        with self.gate.lock:
            self.gate.locked.discard(self.payment.channel_id)


class PaymentGate:
    def __init__(self, chain: ChainView, mpe_address: str, payment_address: str, group_id: bytes,
                 expiration_threshold: int) -> None:
        self.chain = chain
        self.mpe = address_bytes(mpe_address)
        self.payment_address = address_bytes(payment_address)
        self.group_id = group_id
        self.expiration_threshold = expiration_threshold
        self.lock = threading.Lock()
        self.accepted: dict[int, _Accepted] = {}
        self.locked: set[int] = set()
        self.journal: list[dict] = []

    def reset(self) -> None:
        with self.lock:
            self.accepted.clear()
            self.journal.clear()

    def parse(self, metadata: dict[str, list], default_type: str, allowed_types: tuple[str, ...]) -> PaymentRequest:
        """Payment type first, then the headers in the daemon's order."""
        payment_type = _single(metadata, PAYMENT_TYPE) or default_type
        if payment_type not in allowed_types:
            raise PaymentError(grpc.StatusCode.INVALID_ARGUMENT, f'unexpected "{PAYMENT_TYPE}", value: "{payment_type}"')
        channel_id = _big_int(metadata, CHANNEL_ID)
        nonce = _big_int(metadata, NONCE)
        amount = _big_int(metadata, AMOUNT)
        signature = _required(metadata, SIGNATURE)
        if isinstance(signature, str):
            signature = signature.encode()
        return PaymentRequest(payment_type, channel_id, nonce, amount, signature, _single(metadata, MODEL_ID))

    def begin(self, payment: PaymentRequest, price: Callable[[PaymentRequest], int]) -> Transaction:
        """Lock the channel, validate the payment against the chain, check income == price."""
        with self.lock:
            if payment.channel_id in self.locked:
                raise PaymentError(grpc.StatusCode.FAILED_PRECONDITION,
                                   f"another transaction on channel: {{ID: {payment.channel_id}}} is in progress")
            self.locked.add(payment.channel_id)
        try:
            channel = self._channel(payment.channel_id)
            authorized = self._authorized_amount(channel)
            self._validate(payment, channel)
            expected = price(payment)
            income = payment.amount - authorized
            if income != expected:
                raise PaymentError(grpc.StatusCode.UNAUTHENTICATED, f"income {income} does not equal to price {expected}")
        except BaseException:
            with self.lock:
                self.locked.discard(payment.channel_id)
            raise
        return Transaction(self, payment, channel, income)

    def _channel(self, channel_id: int) -> Channel:
        channel = self.chain.channel(channel_id)
        if channel is None:
            raise PaymentError(grpc.StatusCode.UNAUTHENTICATED, f'payment channel "{{ID: {channel_id}}}" not found')
        problem = self.channel_problem(channel)
        if problem:
            raise PaymentError(grpc.StatusCode.INTERNAL, f"payment channel error: {problem}")
        return channel

    def channel_problem(self, channel: Channel) -> str | None:
        if address_bytes(channel.recipient) != self.payment_address:
            return "recipient Address from org metadata does not Match on what was retrieved from Channel"
        if channel.group_id != self.group_id:
            return ("channel received belongs to another group of replicas, current group: "
                    f"{_go_bytes(self.group_id)}, channel group: {_go_bytes(channel.group_id)}")
        return None

    def _authorized_amount(self, channel: Channel) -> int:
        with self.lock:
            accepted = self.accepted.get(channel.channel_id)
        # A claimed channel has a higher nonce on chain: its state starts again from 0.
        return accepted.amount if accepted and accepted.nonce == channel.nonce else 0

    def _validate(self, payment: PaymentRequest, channel: Channel) -> None:
        if payment.nonce != channel.nonce:
            raise PaymentError(INCORRECT_NONCE,
                               f"incorrect payment channel nonce, latest: {channel.nonce}, sent: {payment.nonce}")
        claim = (b"__MPE_claim_message" + self.mpe + u256(payment.channel_id) + u256(payment.nonce)
                 + u256(payment.amount)) if payment.amount < 2**256 else b""
        try:
            signer = recover_signer(claim, payment.signature) if claim else ""
        except SignatureError:
            signer = ""
        if not signer:
            raise PaymentError(grpc.StatusCode.UNAUTHENTICATED, "payment signature is not valid")
        if signer not in (channel.signer, channel.sender):
            raise PaymentError(grpc.StatusCode.UNAUTHENTICATED, "payment is not signed by channel signer/sender")
        try:
            current = self.chain.latest_block()
        except Exception:  # noqa: BLE001 - any node failure is the daemon's "cannot determine"
            raise PaymentError(grpc.StatusCode.INTERNAL, "cannot determine current block") from None
        if current + self.expiration_threshold >= channel.expiration:
            raise PaymentError(grpc.StatusCode.UNAUTHENTICATED,
                               f"payment channel is near to be expired, expiration time: {channel.expiration}, "
                               f"current block: {current}, expiration threshold: {self.expiration_threshold}")
        if channel.value < payment.amount:
            raise PaymentError(grpc.StatusCode.UNAUTHENTICATED,
                               f"not enough tokens on payment channel, channel amount: {channel.value}, "
                               f"payment amount: {payment.amount}")

    def channel_state(self, channel_id_bytes: bytes, signature: bytes, current_block: int) -> dict:
        """GetChannelState's reply fields; raises ValueError with the daemon's text (sent as UNKNOWN)."""
        channel_id = int.from_bytes(channel_id_bytes, "big")
        message = b"__get_channel_state" + self.mpe + u256(channel_id) + u256(current_block)
        try:
            caller = recover_signer(message, signature)
        except SignatureError:
            raise ValueError("incorrect signature") from None
        channel = self.chain.channel(channel_id)
        if channel is None:
            raise ValueError(f"channel is not found, channelId: {channel_id}")
        problem = self.channel_problem(channel)
        if problem:
            raise ValueError("channel error:" + problem)
        if caller not in (channel.signer, channel.sender, channel.recipient):
            raise ValueError("only channel signer/sender/receiver can get latest channel state")
        if abs(current_block - self.chain.latest_block()) > 5:
            raise ValueError("authentication failed as the signature passed has expired")
        with self.lock:
            accepted = self.accepted.get(channel_id)
        reply = {"current_nonce": u256(channel.nonce)}
        if accepted and accepted.nonce == channel.nonce:
            reply.update(current_signed_amount=u256(accepted.amount), current_signature=accepted.signature)
        elif accepted and accepted.nonce == channel.nonce - 1:
            reply.update(old_nonce_signed_amount=u256(accepted.amount), old_nonce_signature=accepted.signature)
        return reply
