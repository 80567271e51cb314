"""Turning inputs into Decimal amounts."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation


def amount(value: Decimal | str | int) -> Decimal:
    """A Decimal from a Decimal, a string or an integer; floats and garbage are refused."""
    if isinstance(value, float):
        raise TypeError("floats cannot hold cent amounts exactly; pass a Decimal or a string")
    if isinstance(value, bool):
        raise TypeError("not an amount: a boolean")
    try:
        result = Decimal(value)
    except (InvalidOperation, TypeError):
        raise ValueError(f"not an amount: {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return result


def rate(value: Decimal | str | int) -> Decimal:
    """A tax rate as a fraction: 0.2 for 20 %."""
    result = amount(value)
    if not 0 <= result < 1:
        raise ValueError(f"a tax rate is a fraction between 0 and 1, got {result}")
    return result
