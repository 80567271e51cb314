"""The RingBuffer type."""


class RingBuffer:
    """Keeps the most recent *capacity* items; appending to a full buffer
    overwrites the oldest item.

    Items live in a fixed list of slots.  ``_start`` is the slot of the
    oldest item and ``_size`` the number of items held, so the items occupy
    the slots ``_start, _start + 1, ...`` modulo the capacity.
    """

    def __init__(self, capacity, items=()):
        if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 1:
            raise ValueError(f"capacity must be a positive integer, got {capacity!r}")
        self._slots = [None] * capacity
        self._start = 0
        self._size = 0
        self.extend(items)

    @property
    def capacity(self):
        return len(self._slots)

    def __len__(self):
        return self._size

    def is_full(self):
        return self._size == self.capacity

    def append(self, item):
        """Add *item* as the newest item; return the evicted item, or None."""
        end = (self._start + self._size) % self.capacity
        if self.is_full():
            evicted = self._slots[end]
            self._slots[end] = item
            self._start = (self._start + 1) % self.capacity
            return evicted
        self._slots[end] = item
        self._size += 1
        return None

    def extend(self, items):
        for item in items:
            self.append(item)

    def popleft(self):
        """Remove and return the oldest item."""
        if not self._size:
            raise IndexError("pop from an empty RingBuffer")
        item = self._slots[self._start]
        self._slots[self._start] = None
        self._start = (self._start + 1) % self.capacity
        self._size -= 1
        return item

    def clear(self):
        self._slots = [None] * self.capacity
        self._start = 0
        self._size = 0

    def __iter__(self):
        """Iterate from the oldest item to the newest."""
        return iter(self._slots[self._start:self._start + self._size])

    def latest(self, n):
        """The *n* newest items, oldest first."""
        if n < 0:
            raise ValueError("n must not be negative")
        items = list(self)
        return items[max(len(items) - n, 0):]

    def __repr__(self):
        return f"RingBuffer({self.capacity}, {list(self)!r})"
