"""One token bucket per key (client address, API key, user id, ...)."""

from .bucket import TokenBucket
from .clock import MonotonicClock


class KeyedLimiter:
    def __init__(self, rate, capacity, clock=None):
        self.rate = rate
        self.capacity = capacity
        self._clock = clock if clock is not None else MonotonicClock()
        self._buckets = {}

    def _bucket(self, key):
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = TokenBucket(self.rate, self.capacity, self._clock)
            self._buckets[key] = bucket
        return bucket

    def allow(self, key, cost=1):
        """Whether a request of *cost* tokens for *key* may proceed now."""
        return self._bucket(key).try_acquire(cost)

    def wait_time(self, key, cost=1):
        return self._bucket(key).wait_time(cost)

    def purge(self):
        """Forget keys whose bucket is full again; return how many were dropped."""
        full = [key for key, bucket in self._buckets.items() if bucket.tokens >= bucket.capacity]
        for key in full:
            del self._buckets[key]
        return len(full)

    def __len__(self):
        return len(self._buckets)
