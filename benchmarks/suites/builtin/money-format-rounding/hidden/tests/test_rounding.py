from decimal import Decimal

import pytest

from moneyfmt import format_money


def test_half_cent_rounds_up():
    assert format_money(2.675) == "$2.68"
    assert format_money(1.005) == "$1.01"
    assert format_money(0.125) == "$0.13"


def test_negative_half_rounds_away_from_zero():
    assert format_money(-2.675) == "-$2.68"
    assert format_money(Decimal("-0.005")) == "-$0.01"


def test_decimal_input_is_exact():
    assert format_money(Decimal("0.125")) == "$0.13"
    assert format_money(Decimal("12345678901234567.89")) == "$12,345,678,901,234,567.89"


def test_zero_decimal_currency_rounds_half_up():
    assert format_money(2.5, "JPY") == "¥3"
    assert format_money(Decimal("1500.5"), "KRW") == "₩1,501"


def test_three_decimal_currency():
    assert format_money(Decimal("1.0005"), "KWD") == "KD 1.001"
    assert format_money("1234.5675", "BHD") == "BD 1,234.568"


def test_string_amount_rounds_half_up():
    assert format_money("0.045") == "$0.05"


def test_tiny_negative_amount_has_no_sign():
    assert format_money(-0.001) == "$0.00"
    assert format_money(Decimal("-0.004")) == "$0.00"


def test_malformed_string_raises_value_error():
    with pytest.raises(ValueError):
        format_money("12.3.4")
    with pytest.raises(ValueError):
        format_money("")


def test_nan_is_rejected():
    with pytest.raises(ValueError):
        format_money(Decimal("NaN"))
    with pytest.raises(ValueError):
        format_money("nan")
    with pytest.raises(ValueError):
        format_money("-Infinity")
