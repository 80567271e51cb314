import pytest

from stockroom import Inventory, OrderDesk, OutOfStock


@pytest.fixture
def inv():
    inventory = Inventory()
    inventory.receive("widget", 10)
    return inventory


def test_cannot_sell_reserved_units(inv):
    inv.reserve("widget", 6)
    with pytest.raises(OutOfStock) as info:
        inv.sell("widget", 5)
    assert (info.value.sku, info.value.requested, info.value.available) == ("widget", 5, 4)
    assert (inv.on_hand("widget"), inv.reserved("widget"), inv.available("widget")) == (10, 6, 4)


def test_can_sell_exactly_what_is_available(inv):
    inv.reserve("widget", 6)
    inv.sell("widget", 4)
    assert (inv.on_hand("widget"), inv.reserved("widget"), inv.available("widget")) == (6, 6, 0)
    with pytest.raises(OutOfStock) as info:
        inv.sell("widget", 1)
    assert info.value.available == 0


def test_a_placed_order_is_protected_from_counter_sales(inv):
    desk = OrderDesk(inv)
    desk.place("A-1", {"widget": 10})
    with pytest.raises(OutOfStock):
        inv.sell("widget", 1)
    desk.ship("A-1")
    assert (inv.on_hand("widget"), inv.reserved("widget")) == (0, 0)
    assert desk.shipped == ["A-1"]


def test_available_never_goes_negative(inv):
    desk = OrderDesk(inv)
    desk.place("A-1", {"widget": 3})
    desk.place("A-2", {"widget": 5})
    for quantity in [3, 1, 1]:
        try:
            inv.sell("widget", quantity)
        except OutOfStock:
            pass
        assert inv.available("widget") >= 0
    assert inv.on_hand("widget") == 8
    desk.ship("A-2")
    desk.ship("A-1")
    assert inv.on_hand("widget") == 0


def test_selling_without_reservations_is_unchanged(inv):
    with pytest.raises(OutOfStock) as info:
        inv.sell("widget", 11)
    assert (info.value.requested, info.value.available) == (11, 10)
    inv.sell("widget", 10)
    assert inv.on_hand("widget") == 0


def test_released_units_can_be_sold(inv):
    hold_id = inv.reserve("widget", 10)
    inv.release(hold_id)
    inv.sell("widget", 10)
    assert inv.available("widget") == 0


def test_shipping_orders_that_use_up_all_stock(inv):
    inv.receive("gadget", 2)
    desk = OrderDesk(inv)
    desk.place("A-1", {"widget": 7, "gadget": 2})
    desk.place("A-2", {"widget": 3})
    desk.ship("A-1")
    assert (inv.on_hand("widget"), inv.reserved("widget"), inv.on_hand("gadget")) == (3, 3, 0)
    desk.ship("A-2")
    assert inv.on_hand("widget") == 0
    assert inv.holds() == []


def test_cancel_then_sell(inv):
    desk = OrderDesk(inv)
    desk.place("A-1", {"widget": 10})
    desk.cancel("A-1")
    inv.sell("widget", 10)
    assert inv.on_hand("widget") == 0
