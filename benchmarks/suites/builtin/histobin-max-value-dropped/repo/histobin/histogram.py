"""The Histogram class."""

import bisect

from .edges import equal_width_edges, validate_edges


class Histogram:
    """Counts of values per bin, for fixed bin edges."""

    def __init__(self, edges):
        self.edges = validate_edges(edges)
        self.counts = [0] * (len(self.edges) - 1)
        self.underflow = 0
        self.overflow = 0

    def _locate(self, value):
        """Index of the bin holding *value*: -1 below the bins, len(counts) above."""
        return bisect.bisect_right(self.edges, value) - 1

    def bucket_index(self, value):
        """The index of the bin *value* falls in, or None if it is outside every bin."""
        index = self._locate(value)
        if 0 <= index < len(self.counts):
            return index
        return None

    def add(self, value, count=1):
        index = self._locate(value)
        if index < 0:
            self.underflow += count
        elif index >= len(self.counts):
            self.overflow += count
        else:
            self.counts[index] += count

    def extend(self, values):
        for value in values:
            self.add(value)

    @property
    def total(self):
        """Number of values added, outliers included."""
        return sum(self.counts) + self.underflow + self.overflow

    def bins(self):
        """``(low edge, high edge, count)`` for every bin."""
        return [(self.edges[i], self.edges[i + 1], c) for i, c in enumerate(self.counts)]

    def cumulative(self):
        """Running totals of the bin counts (outliers not included)."""
        result, running = [], 0
        for count in self.counts:
            running += count
            result.append(running)
        return result

    def render(self, width=40):
        """A text bar chart, one line per bin."""
        labels = []
        for i in range(len(self.counts)):
            close = "]" if i == len(self.counts) - 1 else ")"
            labels.append(f"[{_fmt(self.edges[i])}, {_fmt(self.edges[i + 1])}{close}")
        label_width = max(len(label) for label in labels)
        peak = max(self.counts) or 1
        lines = []
        for label, count in zip(labels, self.counts):
            bar = "#" * round(width * count / peak)
            lines.append(f"{label:<{label_width}}  {bar:<{width}} {count}")
        return "\n".join(lines)


def _fmt(number):
    return f"{number:g}"


def histogram(values, bins=10, lo=None, hi=None):
    """A Histogram of *values* with *bins* equal-width bins.

    The bins span ``lo`` to ``hi``, by default the smallest and the largest
    value.
    """
    values = list(values)
    if not values and (lo is None or hi is None):
        raise ValueError("cannot choose a range for no values; pass lo and hi")
    lo = min(values) if lo is None else lo
    hi = max(values) if hi is None else hi
    result = Histogram(equal_width_edges(lo, hi, bins))
    result.extend(values)
    return result
