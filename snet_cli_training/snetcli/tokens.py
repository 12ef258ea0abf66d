"""Cogs as FET, converted only with snet-cli's own helper (18 decimals in snet-cli 3.1.1)."""

from __future__ import annotations

from snet.cli.utils.token2cogs import cogs2strtoken


def cogs_to_token(cogs: int) -> str:
    """`200` → `"0.0000000000000002"`, as snet-cli prints and reads amounts."""
    return cogs2strtoken(cogs)
