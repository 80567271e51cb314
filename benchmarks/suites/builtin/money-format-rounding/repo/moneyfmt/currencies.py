"""Currency metadata used by the formatter."""

from typing import NamedTuple


class Currency(NamedTuple):
    code: str
    symbol: str
    decimals: int


CURRENCIES = {
    c.code: c
    for c in (
        Currency("USD", "$", 2),
        Currency("EUR", "€", 2),
        Currency("GBP", "£", 2),
        Currency("CHF", "CHF ", 2),
        Currency("JPY", "¥", 0),
        Currency("KRW", "₩", 0),
        Currency("KWD", "KD ", 3),
        Currency("BHD", "BD ", 3),
    )
}


def get_currency(code):
    """Look up a currency by its ISO 4217 code (case-insensitive)."""
    try:
        return CURRENCIES[code.upper()]
    except (KeyError, AttributeError):
        raise ValueError(f"unknown currency: {code!r}") from None
