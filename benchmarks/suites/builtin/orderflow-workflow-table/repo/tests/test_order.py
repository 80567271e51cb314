import pytest

from orderflow import STATUSES, InvalidTransition, Order


class FakeClock:
    def __init__(self):
        self.now = 100

    def __call__(self):
        self.now += 1
        return self.now


def make(total=1250):
    return Order("A-1", total=total, clock=FakeClock())


def test_happy_path():
    order = make()
    assert order.allowed_actions() == ["pay", "cancel"]
    order.pay(1250)
    assert order.allowed_actions() == ["ship", "cancel"]
    order.ship("TRACK-1")
    assert order.tracking == "TRACK-1"
    assert order.allowed_actions() == ["deliver"]
    order.deliver()
    assert order.status == "delivered"
    assert order.history == [("new", 101), ("paid", 102), ("shipped", 103), ("delivered", 104)]


def test_invalid_transition():
    order = make()
    with pytest.raises(InvalidTransition) as info:
        order.ship("TRACK-1")
    assert str(info.value) == "order A-1: cannot ship when new"
    assert (info.value.order_id, info.value.status, info.value.action) == ("A-1", "new", "ship")
    assert order.status == "new"
    assert len(order.history) == 1


def test_wrong_payment_amount():
    order = make()
    with pytest.raises(ValueError, match="expected payment of 1250, got 1000"):
        order.pay(1000)
    assert order.status == "new"


def test_tracking_number_required():
    order = make()
    order.pay(1250)
    with pytest.raises(ValueError):
        order.ship("")
    assert order.status == "paid"


def test_cancel_unpaid_order_needs_no_refund():
    order = make()
    order.cancel("changed my mind")
    assert (order.status, order.cancel_reason, order.refund_due) == ("cancelled", "changed my mind", False)
    assert order.allowed_actions() == []
    with pytest.raises(InvalidTransition):
        order.refund()


def test_cancel_paid_order_then_refund():
    order = make()
    order.pay(1250)
    order.cancel()
    assert order.refund_due
    assert order.allowed_actions() == ["refund"]
    order.refund()
    assert (order.status, order.refund_due) == ("refunded", False)
    assert order.allowed_actions() == []


def test_refund_after_delivery():
    order = make()
    order.pay(1250)
    order.ship("T")
    order.deliver()
    assert order.can("refund")
    order.refund()
    assert order.status == "refunded"


def test_cannot_cancel_shipped_order():
    order = make()
    order.pay(1250)
    order.ship("T")
    with pytest.raises(InvalidTransition, match="cannot cancel when shipped"):
        order.cancel()


def test_total_must_be_positive_cents():
    for bad in [0, -5, 12.5, True]:
        with pytest.raises(ValueError):
            Order("X", total=bad)


def test_statuses():
    assert STATUSES == ("new", "paid", "shipped", "delivered", "cancelled", "refunded")
