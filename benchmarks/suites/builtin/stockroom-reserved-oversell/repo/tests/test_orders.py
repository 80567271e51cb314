import pytest

from stockroom import Inventory, OrderDesk, OutOfStock, UnknownOrder


@pytest.fixture
def desk():
    inventory = Inventory()
    inventory.receive("widget", 10)
    inventory.receive("gadget", 3)
    return OrderDesk(inventory)


def test_place_reserves_every_line(desk):
    desk.place("A-1", {"widget": 4, "gadget": 1})
    assert desk.inventory.reserved("widget") == 4
    assert desk.inventory.reserved("gadget") == 1
    assert desk.lines("A-1") == {"widget": 4, "gadget": 1}
    assert desk.open_orders() == ["A-1"]


def test_place_is_all_or_nothing(desk):
    with pytest.raises(OutOfStock):
        desk.place("A-1", {"widget": 4, "gadget": 5})
    assert desk.inventory.reserved("widget") == 0
    assert desk.open_orders() == []


def test_ship_takes_units_out_of_stock(desk):
    desk.place("A-1", {"widget": 4, "gadget": 1})
    desk.ship("A-1")
    inv = desk.inventory
    assert (inv.on_hand("widget"), inv.reserved("widget"), inv.available("widget")) == (6, 0, 6)
    assert inv.on_hand("gadget") == 2
    assert desk.shipped == ["A-1"]
    assert desk.open_orders() == []


def test_ship_order_holding_all_the_stock(desk):
    desk.place("A-1", {"gadget": 3})
    desk.ship("A-1")
    assert desk.inventory.on_hand("gadget") == 0
    assert desk.inventory.available("gadget") == 0


def test_two_orders_sharing_stock(desk):
    desk.place("A-1", {"widget": 6})
    desk.place("A-2", {"widget": 4})
    desk.ship("A-2")
    desk.ship("A-1")
    assert desk.inventory.on_hand("widget") == 0


def test_cancel_releases_the_holds(desk):
    desk.place("A-1", {"widget": 10})
    desk.cancel("A-1")
    assert desk.inventory.available("widget") == 10
    assert desk.cancelled == ["A-1"]
    with pytest.raises(UnknownOrder):
        desk.ship("A-1")


def test_order_ids_are_unique(desk):
    desk.place("A-1", {"widget": 1})
    desk.ship("A-1")
    with pytest.raises(ValueError):
        desk.place("A-1", {"widget": 1})
    with pytest.raises(ValueError):
        desk.place("A-2", {})
