import pytest

from stockroom import Inventory, OutOfStock


@pytest.fixture
def inv():
    inventory = Inventory()
    inventory.receive("widget", 10)
    inventory.receive("gadget", 2)
    return inventory


def test_receive_and_counts(inv):
    inv.receive("widget", 5)
    assert (inv.on_hand("widget"), inv.reserved("widget"), inv.available("widget")) == (15, 0, 15)
    assert inv.on_hand("nothing") == 0


def test_quantities_must_be_positive_integers(inv):
    for bad in [0, -1, 1.5, True, "3"]:
        with pytest.raises(ValueError):
            inv.receive("widget", bad)
        with pytest.raises(ValueError):
            inv.reserve("widget", bad)
        with pytest.raises(ValueError):
            inv.sell("widget", bad)


def test_reserve_and_release(inv):
    hold_id = inv.reserve("widget", 4)
    assert (inv.on_hand("widget"), inv.reserved("widget"), inv.available("widget")) == (10, 4, 6)
    assert inv.hold(hold_id).quantity == 4
    assert inv.release(hold_id).sku == "widget"
    assert inv.available("widget") == 10


def test_cannot_reserve_more_than_available(inv):
    inv.reserve("widget", 8)
    with pytest.raises(OutOfStock) as info:
        inv.reserve("widget", 3)
    assert (info.value.requested, info.value.available) == (3, 2)
    assert inv.reserved("widget") == 8


def test_sell_unreserved_stock(inv):
    inv.sell("widget", 7)
    assert inv.on_hand("widget") == 3
    with pytest.raises(OutOfStock):
        inv.sell("gadget", 3)
    assert inv.on_hand("gadget") == 2


def test_holds_listing(inv):
    first = inv.reserve("widget", 1)
    inv.reserve("gadget", 1)
    third = inv.reserve("widget", 2)
    assert [h.id for h in inv.holds("widget")] == [first, third]
    assert len(inv.holds()) == 3
