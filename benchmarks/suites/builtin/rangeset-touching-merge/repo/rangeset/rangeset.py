"""The RangeSet type."""

from bisect import bisect_right

from .interval import Interval, overlaps


class RangeSet:
    """A set of numbers kept as sorted, non-overlapping half-open ranges."""

    def __init__(self, ranges=()):
        self._ranges = []
        for start, end in ranges:
            self.add(start, end)

    @classmethod
    def _from_normalised(cls, ranges):
        result = cls()
        result._ranges = list(ranges)
        return result

    def __iter__(self):
        return iter(self._ranges)

    def __len__(self):
        """The number of separate ranges."""
        return len(self._ranges)

    def __bool__(self):
        return bool(self._ranges)

    def __eq__(self, other):
        if not isinstance(other, RangeSet):
            return NotImplemented
        return self._ranges == other._ranges

    def __repr__(self):
        return f"RangeSet({[tuple(r) for r in self._ranges]!r})"

    def copy(self):
        return self._from_normalised(self._ranges)

    def add(self, start, end):
        """Add the points of [start, end), merging it with the ranges it overlaps."""
        new = Interval.of(start, end)
        if new.is_empty():
            return
        kept = []
        for current in self._ranges:
            if overlaps(current, new):
                new = Interval(min(current.start, new.start), max(current.end, new.end))
            else:
                kept.append(current)
        kept.append(new)
        kept.sort()
        self._ranges = kept

    def remove(self, start, end):
        """Remove the points of [start, end)."""
        cut = Interval.of(start, end)
        if cut.is_empty():
            return
        kept = []
        for current in self._ranges:
            if not overlaps(current, cut):
                kept.append(current)
                continue
            if current.start < cut.start:
                kept.append(Interval(current.start, cut.start))
            if cut.end < current.end:
                kept.append(Interval(cut.end, current.end))
        self._ranges = kept

    def __contains__(self, point):
        index = bisect_right(self._ranges, (point, float("inf"))) - 1
        return index >= 0 and self._ranges[index].contains(point)

    def overlaps(self, start, end):
        """Whether any point of [start, end) is in the set."""
        probe = Interval.of(start, end)
        return any(overlaps(current, probe) for current in self._ranges)

    def total_length(self):
        return sum(r.length for r in self._ranges)

    def union(self, other):
        result = self.copy()
        for r in other:
            result.add(r.start, r.end)
        return result

    def intersection(self, other):
        pieces = []
        for a in self._ranges:
            for b in other:
                if overlaps(a, b):
                    pieces.append(Interval(max(a.start, b.start), min(a.end, b.end)))
        return self._from_normalised(sorted(pieces))

    def difference(self, other):
        result = self.copy()
        for r in other:
            result.remove(r.start, r.end)
        return result

    __or__ = union
    __and__ = intersection
    __sub__ = difference
