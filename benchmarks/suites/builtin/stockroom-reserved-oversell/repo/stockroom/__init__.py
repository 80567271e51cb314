"""stockroom: inventory with stock reservations."""

from .inventory import Hold, Inventory, OutOfStock
from .orders import OrderDesk, UnknownOrder

__all__ = ["Hold", "Inventory", "OrderDesk", "OutOfStock", "UnknownOrder"]
