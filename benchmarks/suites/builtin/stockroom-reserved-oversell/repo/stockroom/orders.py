"""Customer orders on top of an Inventory."""

from .inventory import OutOfStock


class UnknownOrder(KeyError):
    """Raised for an order id that is not open."""


class OrderDesk:
    def __init__(self, inventory):
        self.inventory = inventory
        self._open = {}  # order id -> list of hold ids
        self.shipped = []
        self.cancelled = []

    def place(self, order_id, lines):
        """Reserve every line of the order ({sku: quantity}), or none of them."""
        if order_id in self._open or order_id in self.shipped or order_id in self.cancelled:
            raise ValueError(f"order {order_id!r} already exists")
        if not lines:
            raise ValueError("an order needs at least one line")
        holds = []
        try:
            for sku, quantity in lines.items():
                holds.append(self.inventory.reserve(sku, quantity))
        except (OutOfStock, ValueError):
            for hold_id in holds:
                self.inventory.release(hold_id)
            raise
        self._open[order_id] = holds

    def _take(self, order_id):
        try:
            return self._open.pop(order_id)
        except KeyError:
            raise UnknownOrder(order_id) from None

    def ship(self, order_id):
        """Ship an open order: its reserved units leave the stock."""
        for hold_id in self._take(order_id):
            hold = self.inventory.hold(hold_id)
            self.inventory.sell(hold.sku, hold.quantity)
            self.inventory.release(hold_id)
        self.shipped.append(order_id)

    def cancel(self, order_id):
        """Cancel an open order, giving its reserved units back."""
        for hold_id in self._take(order_id):
            self.inventory.release(hold_id)
        self.cancelled.append(order_id)

    def open_orders(self):
        return sorted(self._open)

    def lines(self, order_id):
        """{sku: quantity} of an open order."""
        if order_id not in self._open:
            raise UnknownOrder(order_id)
        result = {}
        for hold_id in self._open[order_id]:
            hold = self.inventory.hold(hold_id)
            result[hold.sku] = result.get(hold.sku, 0) + hold.quantity
        return result
