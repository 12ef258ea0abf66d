"""How far a command's payment got, so that an interruption can say what was paid."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from snet_cli_training.constants import RPC_WORDS


@dataclass
class PaymentProgress:
    """Filled in as a paid command goes: quoted, signed, accepted (with the status the daemon answered)."""

    rpc: str | None = None
    model_id: str = ""
    price_cogs: int = 0
    stage: str = ""
    status: str = ""

    def quoted(self, quote: Any) -> None:
        """A payment.quote.Quote was made (nothing signed yet)."""
        self.rpc, self.model_id, self.price_cogs, self.stage = quote.rpc, quote.model_id, quote.price_cogs, "quoted"

    def signed(self) -> None:
        """The claim was signed and sent."""
        self.stage = "signed"

    def accepted(self, status: str = "") -> None:
        """The daemon accepted the payment (and answered `status`)."""
        self.stage, self.status = "accepted", status

    def interruption(self) -> str:
        """The one line exit 130 prints."""
        if self.rpc is None or self.stage == "quoted":
            return "interrupted before anything was paid" if self.rpc else "interrupted"
        what = f"{self.price_cogs} cogs for {RPC_WORDS[self.rpc]} of model {self.model_id}"
        if self.stage == "signed":
            return (f"interrupted after signing {what}, before the daemon answered: the next paid command for this "
                    "model asks the daemon whether it went through and never pays twice for it")
        resume = f"; resume with `snet training wait {self.model_id}`" if self.rpc != "call" else ""
        status = f": the model is {self.status}" if self.status else ""
        return f"interrupted after the daemon accepted {what}{status}{resume}"
