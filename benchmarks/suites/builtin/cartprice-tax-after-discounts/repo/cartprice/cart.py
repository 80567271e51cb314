"""Money helpers and the Cart."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value):
    """A Decimal from a str, int or Decimal; floats are refused as inexact."""
    if isinstance(value, float):
        raise TypeError("give money amounts as str, int or Decimal, not float")
    return Decimal(value)


def round_cents(value):
    """Round half-up to whole cents."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineItem:
    sku: str
    unit_price: Decimal
    quantity: int
    category: str

    @property
    def amount(self):
        return round_cents(self.unit_price * self.quantity)


class Cart:
    def __init__(self):
        self._lines = []

    def add(self, sku, unit_price, quantity=1, category="general"):
        """Add *quantity* of *sku*; adding a sku again increases its quantity."""
        unit_price = money(unit_price)
        if unit_price < 0:
            raise ValueError("unit price cannot be negative")
        if not isinstance(quantity, int) or quantity < 1:
            raise ValueError("quantity must be a positive integer")
        for index, line in enumerate(self._lines):
            if line.sku == sku:
                if (line.unit_price, line.category) != (unit_price, category):
                    raise ValueError(f"{sku!r} is already in the cart with another price or category")
                self._lines[index] = LineItem(sku, unit_price, line.quantity + quantity, category)
                return
        self._lines.append(LineItem(sku, unit_price, quantity, category))

    def remove(self, sku):
        self._lines = [line for line in self._lines if line.sku != sku]

    @property
    def lines(self):
        return tuple(self._lines)

    def subtotal(self):
        return sum((line.amount for line in self._lines), ZERO)
