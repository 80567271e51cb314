from decimal import Decimal

import pytest

from moneyfmt import format_money, get_currency


def test_basic_usd():
    assert format_money(12) == "$12.00"
    assert format_money(0.5) == "$0.50"


def test_thousands_grouping():
    assert format_money(1234567.891) == "$1,234,567.89"
    assert format_money(999) == "$999.00"
    assert format_money(1000) == "$1,000.00"


def test_negative_amount():
    assert format_money(-1234.5) == "-$1,234.50"


def test_zero_decimal_currency():
    assert format_money(1500, "JPY") == "¥1,500"
    assert format_money(1500.4, "jpy") == "¥1,500"


def test_custom_separators():
    assert format_money(1234.5, "EUR", thousands=".", decimal_point=",") == "€1.234,50"
    assert format_money(1234.5, thousands="") == "$1234.50"


def test_without_symbol():
    assert format_money(19.99, "GBP", symbol=False) == "19.99"


def test_decimal_and_string_input():
    assert format_money(Decimal("10.10")) == "$10.10"
    assert format_money(" 1234.5 ") == "$1,234.50"


def test_unknown_currency():
    with pytest.raises(ValueError):
        format_money(1, "XYZ")
    assert get_currency("chf").decimals == 2


def test_bool_is_rejected():
    with pytest.raises(TypeError):
        format_money(True)


def test_invalid_string_raises_value_error():
    with pytest.raises(ValueError):
        format_money("twelve dollars")


def test_infinite_amount_rejected():
    with pytest.raises(ValueError):
        format_money(float("inf"))
