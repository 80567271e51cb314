"""Orders and their status transitions."""

import time

STATUSES = ("new", "paid", "shipped", "delivered", "cancelled", "refunded")


class InvalidTransition(Exception):
    """Raised when an action is not allowed in the order's current status."""

    def __init__(self, order_id, status, action):
        super().__init__(f"order {order_id}: cannot {action} when {status}")
        self.order_id = order_id
        self.status = status
        self.action = action


class Order:
    def __init__(self, order_id, total, clock=None):
        if not isinstance(total, int) or isinstance(total, bool) or total <= 0:
            raise ValueError(f"total must be a positive number of cents, got {total!r}")
        self.order_id = order_id
        self.total = total
        self.clock = clock or time.time
        self.status = "new"
        self.history = [("new", self.clock())]
        self.tracking = None
        self.cancel_reason = None
        self.refund_due = False

    def __repr__(self):
        return f"Order({self.order_id!r}, status={self.status!r})"

    def _move(self, status):
        self.status = status
        self.history.append((status, self.clock()))

    def pay(self, amount):
        if self.status != "new":
            raise InvalidTransition(self.order_id, self.status, "pay")
        if amount != self.total:
            raise ValueError(f"order {self.order_id}: expected payment of {self.total}, got {amount}")
        self._move("paid")

    def ship(self, tracking):
        if self.status != "paid":
            raise InvalidTransition(self.order_id, self.status, "ship")
        if not tracking:
            raise ValueError(f"order {self.order_id}: a tracking number is required")
        self.tracking = tracking
        self._move("shipped")

    def deliver(self):
        if self.status != "shipped":
            raise InvalidTransition(self.order_id, self.status, "deliver")
        self._move("delivered")

    def cancel(self, reason=""):
        if self.status not in ("new", "paid"):
            raise InvalidTransition(self.order_id, self.status, "cancel")
        self.refund_due = self.status == "paid"
        self.cancel_reason = reason
        self._move("cancelled")

    def refund(self):
        if self.status == "delivered":
            pass
        elif self.status == "cancelled" and self.refund_due:
            pass
        else:
            raise InvalidTransition(self.order_id, self.status, "refund")
        self.refund_due = False
        self._move("refunded")

    def allowed_actions(self):
        """The actions allowed now, in a fixed order."""
        if self.status == "new":
            return ["pay", "cancel"]
        elif self.status == "paid":
            return ["ship", "cancel"]
        elif self.status == "shipped":
            return ["deliver"]
        elif self.status == "delivered":
            return ["refund"]
        elif self.status == "cancelled":
            return ["refund"] if self.refund_due else []
        return []

    def can(self, action):
        return action in self.allowed_actions()
