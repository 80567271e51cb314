"""The token bucket."""

from .clock import MonotonicClock


class TokenBucket:
    """A bucket holding up to *capacity* tokens, refilled at *rate* tokens/s."""

    def __init__(self, rate, capacity, clock=None, *, initial=None):
        if rate <= 0:
            raise ValueError("rate must be positive")
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        if initial is not None and not 0 <= initial <= capacity:
            raise ValueError("initial must be between 0 and capacity")
        self.rate = float(rate)
        self.capacity = capacity
        self._clock = clock if clock is not None else MonotonicClock()
        self._tokens = capacity if initial is None else initial
        self._updated = self._clock.now()

    def _refill(self):
        now = self._clock.now()
        elapsed = max(0.0, now - self._updated)
        added = int(elapsed * self.rate)
        self._tokens = min(self.capacity, self._tokens + added)
        self._updated = now

    @property
    def tokens(self):
        """Tokens available right now."""
        self._refill()
        return self._tokens

    def _check_cost(self, cost):
        if cost <= 0:
            raise ValueError("cost must be positive")
        if cost > self.capacity:
            raise ValueError(f"cost {cost} exceeds the bucket capacity {self.capacity}")

    def try_acquire(self, cost=1):
        """Take *cost* tokens if available; return whether that succeeded."""
        self._check_cost(cost)
        self._refill()
        if self._tokens >= cost:
            self._tokens -= cost
            return True
        return False

    def wait_time(self, cost=1):
        """Seconds until *cost* tokens will be available (0.0 if they are now)."""
        self._check_cost(cost)
        self._refill()
        missing = cost - self._tokens
        return max(0.0, missing / self.rate)

    def __repr__(self):
        return f"TokenBucket(rate={self.rate}, capacity={self.capacity}, tokens={self.tokens})"
