"""Turn numbers into display strings such as ``$1,234.50``."""

import math
from decimal import Decimal

from .currencies import get_currency


def format_money(amount, currency="USD", *, symbol=True, thousands=",", decimal_point="."):
    """Format *amount* in *currency*.

    The amount is rounded to the currency's number of decimal places.  The
    integer part is grouped in thousands with *thousands* and the fraction
    is separated by *decimal_point*.  Negative amounts get a leading ``-``
    before the currency symbol.
    """
    info = get_currency(currency)
    value = round(_to_number(amount), info.decimals)
    negative = value < 0

    digits = f"{abs(value):.{info.decimals}f}"
    whole, _, fraction = digits.partition(".")
    text = _group_thousands(whole, thousands)
    if fraction:
        text += decimal_point + fraction
    if symbol:
        text = info.symbol + text
    return "-" + text if negative else text


def _to_number(amount):
    if isinstance(amount, bool) or not isinstance(amount, (int, float, Decimal, str)):
        raise TypeError(f"amount must be a number or numeric string, not {type(amount).__name__}")
    try:
        value = float(amount)
    except ValueError:
        raise ValueError(f"not a valid amount: {amount!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"amount must be finite, got {amount!r}")
    return value


def _group_thousands(digits, separator):
    if not separator:
        return digits
    groups = []
    while len(digits) > 3:
        groups.append(digits[-3:])
        digits = digits[:-3]
    groups.append(digits)
    return separator.join(reversed(groups))
