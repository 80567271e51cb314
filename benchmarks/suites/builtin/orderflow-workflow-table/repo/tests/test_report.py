from orderflow import Order
from orderflow.report import open_orders, refunds_due, status_counts


def orders():
    a = Order("A", total=100, clock=lambda: 0)
    b = Order("B", total=200, clock=lambda: 0)
    b.pay(200)
    c = Order("C", total=300, clock=lambda: 0)
    c.pay(300)
    c.cancel()
    d = Order("D", total=400, clock=lambda: 0)
    d.cancel()
    return [c, a, d, b]


def test_status_counts():
    assert status_counts(orders()) == {
        "new": 1, "paid": 1, "shipped": 0, "delivered": 0, "cancelled": 2, "refunded": 0,
    }
    assert list(status_counts([])) == ["new", "paid", "shipped", "delivered", "cancelled", "refunded"]


def test_open_orders():
    assert [o.order_id for o in open_orders(orders())] == ["A", "B"]


def test_refunds_due():
    assert refunds_due(orders()) == 300
