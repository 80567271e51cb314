"""cartprice: price a shopping cart with discounts and tax."""

from .cart import Cart, LineItem, money, round_cents
from .discounts import BuyXGetY, FixedOff, PercentOff
from .pricing import Receipt, ReceiptLine, price
from .tax import TaxTable

__all__ = [
    "BuyXGetY",
    "Cart",
    "FixedOff",
    "LineItem",
    "PercentOff",
    "Receipt",
    "ReceiptLine",
    "TaxTable",
    "money",
    "price",
    "round_cents",
]
