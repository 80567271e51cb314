"""Clocks: anything with a ``now()`` method returning seconds as a float."""

import time


class MonotonicClock:
    """The real clock (``time.monotonic``)."""

    def now(self):
        return time.monotonic()


class ManualClock:
    """A clock that only moves when told to; meant for tests."""

    def __init__(self, start=0.0):
        self._now = float(start)

    def now(self):
        return self._now

    def advance(self, seconds):
        if seconds < 0:
            raise ValueError("cannot advance by a negative amount")
        self._now += seconds

    def set(self, timestamp):
        self._now = float(timestamp)
