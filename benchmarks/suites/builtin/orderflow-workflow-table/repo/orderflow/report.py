"""Summaries over many orders."""

from .order import STATUSES

OPEN_STATUSES = ("new", "paid", "shipped")


def status_counts(orders):
    """{status: number of orders} for every status, in the order of STATUSES."""
    counts = {status: 0 for status in STATUSES}
    for order in orders:
        counts[order.status] += 1
    return counts


def open_orders(orders):
    """Orders that still need work from the shop, by order id."""
    return sorted((o for o in orders if o.status in OPEN_STATUSES), key=lambda o: o.order_id)


def refunds_due(orders):
    """Total in cents of the refunds that could be made now."""
    return sum(o.total for o in orders if o.can("refund") and o.status == "cancelled")
