"""Pricing a cart into a Receipt."""

from dataclasses import dataclass
from decimal import Decimal

from .cart import ZERO


@dataclass(frozen=True)
class ReceiptLine:
    sku: str
    category: str
    amount: Decimal  # unit price x quantity
    discount: Decimal  # taken off by line discounts
    tax: Decimal


@dataclass(frozen=True)
class Receipt:
    lines: tuple
    subtotal: Decimal
    discount_total: Decimal  # line discounts and coupons
    tax: Decimal
    total: Decimal


def _split(discounts):
    line_level = [d for d in discounts if hasattr(d, "line_discount")]
    cart_level = [d for d in discounts if hasattr(d, "cart_discount")]
    return line_level, cart_level


def price(cart, discounts=(), tax_table=None):
    """Apply *discounts* and *tax_table* (optional) to *cart*; return a Receipt."""
    line_level, cart_level = _split(discounts)
    subtotal = cart.subtotal()

    lines = []
    for line in cart.lines:
        discount = min(line.amount, sum((d.line_discount(line) for d in line_level), ZERO))
        tax = tax_table.tax_for(line) if tax_table is not None else ZERO
        lines.append(ReceiptLine(line.sku, line.category, line.amount, discount, tax))

    line_discounts = sum((line.discount for line in lines), ZERO)
    remaining = subtotal - line_discounts
    coupons = ZERO
    for coupon in cart_level:
        off = coupon.cart_discount(subtotal, remaining)
        coupons += off
        remaining -= off

    discount_total = line_discounts + coupons
    tax = sum((line.tax for line in lines), ZERO)
    return Receipt(tuple(lines), subtotal, discount_total, tax, subtotal - discount_total + tax)
