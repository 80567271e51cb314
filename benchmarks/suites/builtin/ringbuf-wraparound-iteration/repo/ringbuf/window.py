"""A sliding window of the most recent numeric samples."""

from .buffer import RingBuffer


class SlidingWindow:
    """Statistics over the last *size* values pushed."""

    def __init__(self, size):
        self._buffer = RingBuffer(size)

    @property
    def size(self):
        return self._buffer.capacity

    def __len__(self):
        return len(self._buffer)

    def push(self, value):
        """Add a sample; return the sample that dropped out of the window, or None."""
        return self._buffer.append(value)

    def values(self):
        """The samples in the window, oldest first."""
        return list(self._buffer)

    def total(self):
        return sum(self._buffer)

    def mean(self):
        if not len(self._buffer):
            raise ValueError("mean of an empty window")
        return self.total() / len(self._buffer)

    def minimum(self):
        return min(self._buffer)

    def maximum(self):
        return max(self._buffer)
