"""moneyfmt: display formatting for monetary amounts."""

from .currencies import CURRENCIES, Currency, get_currency
from .formatting import format_money

__all__ = ["CURRENCIES", "Currency", "format_money", "get_currency"]
