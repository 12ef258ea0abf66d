"""`Quote`: what one paid call will sign, the price on top of the channel's last signed amount."""

from __future__ import annotations

from dataclasses import dataclass, field

from snet_cli_training.constants import TOKEN
from snet_cli_training.payment.channels import ChannelChoice
from snet_cli_training.payment.claim import TRAINING_RPCS
from snet_cli_training.snetcli.tokens import cogs_to_token

RPCS = (*TRAINING_RPCS, "call")
# What each paid RPC buys, when the command says nothing more precise.
WORK_WORDS = {"upload_and_validate": "validating a dataset", "validate_model": "validating data",
              "train_model": "training", "call": "a call"}


@dataclass(frozen=True)
class Purchase:
    """What a payment buys, as the question says it: the service paid, the work, and the model's name."""

    service: str  # org/service
    work: str  # "validating data.zip", "training", "calling Echo.answer"
    model_name: str = ""


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
    purchase: Purchase | None = None
    amount_cogs: int = field(init=False)

    def __post_init__(self) -> None:
        if self.rpc not in RPCS:
            raise ValueError(f"unknown paid rpc {self.rpc!r}")
        if self.price_cogs < 0 or self.last_signed_amount_cogs < 0:
            raise ValueError("prices and amounts are never negative")
        object.__setattr__(self, "amount_cogs", self.last_signed_amount_cogs + self.price_cogs)

    @classmethod
    def from_choice(cls, model_id: str, rpc: str, price_cogs: int, choice: ChannelChoice,
                    purchase: Purchase | None = None) -> Quote:
        """The quote for paying `price_cogs` through a chosen channel, for PURCHASE."""
        return cls(model_id=model_id, rpc=rpc, price_cogs=price_cogs, channel_id=choice.channel_id,
                   nonce=choice.nonce, last_signed_amount_cogs=choice.last_signed_amount,
                   channel_value_cogs=choice.channel.value, channel_expiration=choice.channel.expiration,
                   purchase=purchase)

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

    def summary(self) -> str:
        """What is paid, to whom, for what: `200 cogs (... FET) to org/service for validating data.zip (model "m")`."""
        purchase = self.purchase or Purchase("", WORK_WORDS[self.rpc])
        paid_to = f" to {purchase.service}" if purchase.service else ""
        model = f'model "{purchase.model_name}"' if purchase.model_name else f"model {self.model_id}"
        return f"{self.price_cogs} cogs ({self.price} {TOKEN}){paid_to} for {purchase.work} ({model})"

    def describe(self) -> str:
        """The confirmation question, one short line: what is paid, to whom, for what."""
        return f"Pay {self.summary()}?"

    def details(self) -> str:
        """What will be signed (shown with -v; the JSON carries the same): channel, nonce, cumulative amount."""
        return (f"payment channel {self.channel_id}: signs a cumulative {self.amount_cogs} cogs ({self.amount} {TOKEN}) "
                f"at nonce {self.nonce}; last signed {self.last_signed_amount_cogs} cogs; channel value "
                f"{self.channel_value_cogs} cogs")
