"""orderflow: the life cycle of a shop order."""

from .order import STATUSES, InvalidTransition, Order

__all__ = ["STATUSES", "InvalidTransition", "Order"]
