"""The Interval type: one half-open range [start, end)."""

from typing import NamedTuple


class Interval(NamedTuple):
    start: float
    end: float

    @classmethod
    def of(cls, start, end):
        if start > end:
            raise ValueError(f"range start {start!r} is after its end {end!r}")
        return cls(start, end)

    @property
    def length(self):
        return self.end - self.start

    def is_empty(self):
        return self.start == self.end

    def contains(self, point):
        return self.start <= point < self.end


def overlaps(a, b):
    """Whether intervals *a* and *b* have at least one point in common."""
    return a.start < b.end and b.start < a.end
