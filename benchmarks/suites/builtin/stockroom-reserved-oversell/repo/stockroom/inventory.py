"""Stock levels and holds."""

from collections import Counter
from dataclasses import dataclass


class OutOfStock(Exception):
    def __init__(self, sku, requested, available):
        super().__init__(f"only {available} of {sku!r} available, {requested} requested")
        self.sku = sku
        self.requested = requested
        self.available = available


@dataclass(frozen=True)
class Hold:
    id: int
    sku: str
    quantity: int


def _check_quantity(quantity):
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise ValueError(f"quantity must be a positive integer, got {quantity!r}")


class Inventory:
    def __init__(self):
        self._on_hand = Counter()
        self._holds = {}
        self._next_hold = 1

    def on_hand(self, sku):
        """Units physically in stock, reserved or not."""
        return self._on_hand[sku]

    def reserved(self, sku):
        """Units held for someone."""
        return sum(h.quantity for h in self._holds.values() if h.sku == sku)

    def available(self, sku):
        """Units that can still be promised: on hand minus reserved."""
        return self.on_hand(sku) - self.reserved(sku)

    def receive(self, sku, quantity):
        """Add *quantity* units of *sku* to stock."""
        _check_quantity(quantity)
        self._on_hand[sku] += quantity

    def sell(self, sku, quantity):
        """Take *quantity* units of *sku* out of stock."""
        _check_quantity(quantity)
        if quantity > self._on_hand[sku]:
            raise OutOfStock(sku, quantity, self._on_hand[sku])
        self._on_hand[sku] -= quantity

    def reserve(self, sku, quantity):
        """Set *quantity* units aside and return the hold id."""
        _check_quantity(quantity)
        if quantity > self.available(sku):
            raise OutOfStock(sku, quantity, self.available(sku))
        hold = Hold(self._next_hold, sku, quantity)
        self._holds[hold.id] = hold
        self._next_hold += 1
        return hold.id

    def hold(self, hold_id):
        """The Hold with this id (KeyError if there is none)."""
        return self._holds[hold_id]

    def release(self, hold_id):
        """Cancel a hold, making its units available again; return the Hold."""
        return self._holds.pop(hold_id)

    def holds(self, sku=None):
        """All current holds, optionally only those for *sku*, oldest first."""
        return [h for h in self._holds.values() if sku is None or h.sku == sku]
