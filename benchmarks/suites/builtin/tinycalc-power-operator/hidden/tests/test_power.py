import pytest

from tinycalc import CalcSyntaxError, EvalError, evaluate, tokenize


def test_power_basic():
    assert evaluate("2 ** 10") == 1024
    assert evaluate("9 ** 0.5") == 3


def test_power_without_spaces():
    assert evaluate("2**3") == 8


def test_power_is_a_single_token():
    tokens = tokenize("2**3")
    assert [(t.kind, t.text, t.pos) for t in tokens] == [
        ("NUMBER", "2", 0),
        ("OP", "**", 1),
        ("NUMBER", "3", 3),
        ("END", "", 4),
    ]


def test_power_is_right_associative():
    assert evaluate("2 ** 3 ** 2") == 512
    assert evaluate("(2 ** 3) ** 2") == 64


def test_power_binds_tighter_than_unary_minus():
    assert evaluate("-2 ** 2") == -4
    assert evaluate("(-2) ** 2") == 4
    assert evaluate("-x ** 2", {"x": 3}) == -9


def test_unary_minus_in_exponent():
    assert evaluate("2 ** -1") == 0.5
    assert evaluate("2 ** -2 ** 2") == 0.0625
    assert evaluate("2 ** +3") == 8


def test_power_versus_other_operators():
    assert evaluate("2 * 3 ** 2") == 18
    assert evaluate("2 ** 3 * 2") == 16
    assert evaluate("3 ** 2 % 5") == 4
    assert evaluate("1 + 2 ** 2 - 1") == 4


def test_power_with_calls_and_parentheses():
    assert evaluate("sqrt(16) ** 2") == 16
    assert evaluate("(1 + 1) ** (1 + 2)") == 8
    assert evaluate("max(2 ** 3, 3 ** 2)") == 9


def test_zero_to_negative_power_is_eval_error():
    with pytest.raises(EvalError):
        evaluate("0 ** -1")


def test_negative_base_with_fractional_exponent_is_eval_error():
    with pytest.raises(EvalError):
        evaluate("(-8) ** (1 / 3)")


def test_huge_results_are_eval_errors():
    with pytest.raises(EvalError):
        evaluate("10 ** 400")
    with pytest.raises(EvalError):
        evaluate("9 ** 9 ** 9")


def test_missing_exponent_position():
    with pytest.raises(CalcSyntaxError) as info:
        evaluate("2 **")
    assert info.value.position == 4
    with pytest.raises(CalcSyntaxError) as info:
        evaluate("2 ** * 3")
    assert info.value.position == 5


def test_separated_stars_are_still_an_error():
    with pytest.raises(CalcSyntaxError) as info:
        evaluate("2 * * 3")
    assert info.value.position == 4


def test_other_operators_unchanged():
    assert evaluate("10 - 3 - 2") == 5
    assert evaluate("2 * 3 * 4 / 8") == 3
    assert evaluate("-3 * 2") == -6
    with pytest.raises(CalcSyntaxError):
        evaluate("2 ^ 3")
