import pytest

from tinycalc import CalcSyntaxError, EvalError, evaluate, tokenize


def test_precedence():
    assert evaluate("1 + 2 * 3") == 7
    assert evaluate("(1 + 2) * 3") == 9


def test_left_associativity():
    assert evaluate("10 - 3 - 2") == 5
    assert evaluate("100 / 10 / 5") == 2
    assert evaluate("17 % 5 % 3") == 2


def test_unary_operators():
    assert evaluate("-3 + 5") == 2
    assert evaluate("--3") == 3
    assert evaluate("-(2 + 3)") == -5
    assert evaluate("2 * -3") == -6


def test_numbers():
    assert evaluate("2.5 + .5") == 3
    assert evaluate("1.5e2") == 150


def test_variables():
    assert evaluate("price * (1 + vat)", {"price": 100, "vat": 0.25}) == 125
    assert evaluate("2 * pi") == pytest.approx(6.283185307)


def test_functions():
    assert evaluate("max(1, 7, 3) - min(4, 2)") == 5
    assert evaluate("sqrt(16) + abs(-2)") == 6
    assert evaluate("double(21)", functions={"double": lambda x: 2 * x}) == 42


def test_evaluation_errors():
    with pytest.raises(EvalError):
        evaluate("1 / 0")
    with pytest.raises(EvalError):
        evaluate("x + 1")
    with pytest.raises(EvalError):
        evaluate("nope(1)")
    with pytest.raises(EvalError):
        evaluate("sqrt(-1)")


def test_syntax_errors():
    for source in ["2 +", "(1 + 2", "2 3", "max(1,", ")", ""]:
        with pytest.raises(CalcSyntaxError):
            evaluate(source)


def test_syntax_error_position():
    with pytest.raises(CalcSyntaxError) as info:
        evaluate("1 + * 2")
    assert info.value.position == 4
    with pytest.raises(CalcSyntaxError) as info:
        evaluate("2 ^ 3")
    assert info.value.position == 2


def test_tokenize():
    tokens = tokenize("a*(b+1.5)")
    assert [t.kind for t in tokens] == ["NAME", "OP", "LPAREN", "NAME", "OP", "NUMBER", "RPAREN", "END"]
    assert [t.pos for t in tokens] == [0, 1, 2, 3, 4, 5, 8, 9]
