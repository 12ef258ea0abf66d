"""`Quote`: what one paid call will sign, the price on top of the channel's last signed amount."""

from __future__ import annotations

from dataclasses import dataclass, field

from snet_cli_training.constants import RPC_WORDS, TOKEN
from snet_cli_training.payment.channels import ChannelChoice
from snet_cli_training.payment.claim import TRAINING_RPCS
from snet_cli_training.snetcli.tokens import cogs_to_token

RPCS = (*TRAINING_RPCS, "call")


@dataclass(frozen=True)
class Quote:
    """A price through a chosen channel: nonce, last signed amount, and the cumulative amount to sign."""

    model_id: str
    rpc: str
    price_cogs: int
    channel_id: int
    nonce: int
    last_signed_amount_cogs: int
    channel_value_cogs: int
    channel_expiration: int
    amount_cogs: int = field(init=False)

    def __post_init__(self) -> None:
        if self.rpc not in RPCS:
            raise ValueError(f"unknown paid rpc {self.rpc!r}")
        if self.price_cogs < 0 or self.last_signed_amount_cogs < 0:
            raise ValueError("prices and amounts are never negative")
        object.__setattr__(self, "amount_cogs", self.last_signed_amount_cogs + self.price_cogs)

    @classmethod
    def from_choice(cls, model_id: str, rpc: str, price_cogs: int, choice: ChannelChoice) -> Quote:
        """The quote for paying `price_cogs` through a chosen channel."""
        return cls(model_id=model_id, rpc=rpc, price_cogs=price_cogs, channel_id=choice.channel_id,
                   nonce=choice.nonce, last_signed_amount_cogs=choice.last_signed_amount,
                   channel_value_cogs=choice.channel.value, channel_expiration=choice.channel.expiration)

    @property
    def price(self) -> str:
        """The price in FET, by snet-cli's conversion."""
        return cogs_to_token(self.price_cogs)

    @property
    def amount(self) -> str:
        """The signed cumulative amount in FET."""
        return cogs_to_token(self.amount_cogs)

    def to_dict(self, paid: bool) -> dict:
        """The payment keys of the upload / validate / train result (docs/commands.md#json-shapes).

        `signed_amount_cogs` is what stands signed on the channel: the new amount when paid, the last one otherwise.
        """
        return {"model_id": self.model_id, "rpc": self.rpc, "price_cogs": self.price_cogs, "price": self.price,
                "token": TOKEN, "channel_id": self.channel_id, "nonce": self.nonce,
                "signed_amount_cogs": self.amount_cogs if paid else self.last_signed_amount_cogs, "paid": paid}

    def describe(self) -> str:
        """The confirmation question: price, channel and what will be signed."""
        return (f"Pay {self.price_cogs} cogs ({self.price} {TOKEN}) for {RPC_WORDS[self.rpc]} of model "
                f"{self.model_id} from payment channel {self.channel_id}? This signs a cumulative amount of "
                f"{self.amount_cogs} cogs ({self.amount} {TOKEN}) at nonce {self.nonce} (last signed "
                f"{self.last_signed_amount_cogs} cogs; channel value {self.channel_value_cogs} cogs).")
