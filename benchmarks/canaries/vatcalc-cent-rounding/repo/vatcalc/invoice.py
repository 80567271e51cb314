"""Invoice totals: the net sum, the tax and the gross sum of an invoice's lines."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .amounts import amount
from .tax import gross, vat


@dataclass(frozen=True)
class Line:
    description: str
    net: Decimal | str | int
    tax_rate: Decimal | str | int
    quantity: int = 1


def invoice_totals(lines: list[Line]) -> dict[str, Decimal]:
    """{"net": ..., "vat": ..., "gross": ...} of all lines; tax is computed per line."""
    net = sum((amount(line.net) * line.quantity for line in lines), Decimal(0))
    tax = sum((vat(line.net, line.tax_rate) * line.quantity for line in lines), Decimal(0))
    total = sum((gross(line.net, line.tax_rate) * line.quantity for line in lines), Decimal(0))
    return {"net": net, "vat": tax, "gross": total}
