"""`PaymentOptions`: how a paid command may pay, read once from its command line (no imports: start-up stays light)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PaymentOptions:
    """Consent (-y), the price ceiling, dry run, channel fixes, and paying for known work again."""

    yes: bool = False
    max_price: int | None = None
    dry_run: bool = False
    open_channel: bool = False
    fund: bool = False
    pay_again: bool = False
    amount: int | None = None  # --amount: cogs to put into the channel when it is opened or funded
    expiration_blocks: int | None = None  # --expiration: the channel's new expiry, in blocks from now
    verbose: bool = False  # -v: the channel, nonce and signed amount before the question

    def allows(self, fix_kind: str) -> bool:
        """Whether the flags allow a channel fix of this kind (`--open-channel` opens, `--fund` funds)."""
        return self.open_channel if fix_kind == "open" else self.fund
