from decimal import Decimal

import pytest

from cartprice import Cart, money, round_cents


def test_add_and_subtotal():
    cart = Cart()
    cart.add("pen", "1.25", quantity=4)
    cart.add("pad", 3)
    assert [line.amount for line in cart.lines] == [Decimal("5.00"), Decimal("3.00")]
    assert cart.subtotal() == Decimal("8.00")


def test_adding_same_sku_increases_quantity():
    cart = Cart()
    cart.add("pen", "1.25")
    cart.add("pen", "1.25", quantity=2)
    assert len(cart.lines) == 1
    assert cart.lines[0].quantity == 3
    with pytest.raises(ValueError):
        cart.add("pen", "1.30")


def test_invalid_input():
    cart = Cart()
    with pytest.raises(TypeError):
        cart.add("pen", 1.25)
    with pytest.raises(ValueError):
        cart.add("pen", "1.00", quantity=0)
    with pytest.raises(ValueError):
        cart.add("pen", "-1.00")


def test_remove():
    cart = Cart()
    cart.add("pen", "1.00")
    cart.add("pad", "2.00")
    cart.remove("pen")
    assert [line.sku for line in cart.lines] == ["pad"]


def test_money_helpers():
    assert money("0.10") + money("0.20") == Decimal("0.30")
    assert round_cents(Decimal("0.125")) == Decimal("0.13")
    assert round_cents(Decimal("0.124")) == Decimal("0.12")
