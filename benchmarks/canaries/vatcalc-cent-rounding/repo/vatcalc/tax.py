"""The tax on a net amount, and the gross amount."""

from __future__ import annotations

from decimal import Decimal

from .amounts import amount, rate


def vat(net: Decimal | str | int, tax_rate: Decimal | str | int) -> Decimal:
    """The tax on ``net`` at ``tax_rate``."""
    return amount(net) * rate(tax_rate)


def gross(net: Decimal | str | int, tax_rate: Decimal | str | int) -> Decimal:
    """``net`` plus its tax."""
    return amount(net) + vat(net, tax_rate)
