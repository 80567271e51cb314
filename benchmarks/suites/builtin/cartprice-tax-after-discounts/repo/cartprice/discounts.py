"""Discounts.

Line discounts have a ``line_discount(line)`` method; cart coupons have a
``cart_discount(subtotal, remaining)`` method.
"""

from .cart import ZERO, money, round_cents


class PercentOff:
    """*percent* off every line (of *category*, if given)."""

    def __init__(self, percent, category=None):
        self.percent = money(percent)
        if not 0 < self.percent <= 100:
            raise ValueError("percent must be in (0, 100]")
        self.category = category

    def line_discount(self, line):
        if self.category is not None and line.category != self.category:
            return ZERO
        return round_cents(line.amount * self.percent / 100)


class BuyXGetY:
    """For *sku*: of every ``buy + free`` items, *free* items cost nothing."""

    def __init__(self, sku, buy, free=1):
        if buy < 1 or free < 1:
            raise ValueError("buy and free must be at least 1")
        self.sku = sku
        self.buy = buy
        self.free = free

    def line_discount(self, line):
        if line.sku != self.sku:
            return ZERO
        free_items = line.quantity // (self.buy + self.free) * self.free
        return round_cents(line.unit_price * free_items)


class FixedOff:
    """A coupon: *amount* off the order if its subtotal is at least *min_subtotal*."""

    def __init__(self, amount, min_subtotal="0"):
        self.amount = money(amount)
        if self.amount <= 0:
            raise ValueError("amount must be positive")
        self.min_subtotal = money(min_subtotal)

    def cart_discount(self, subtotal, remaining):
        """How much this coupon takes off.

        *subtotal* is the cart's subtotal before any discount, *remaining*
        what is left to pay (before tax) after the discounts applied so far.
        """
        if subtotal < self.min_subtotal:
            return ZERO
        return min(self.amount, remaining)
