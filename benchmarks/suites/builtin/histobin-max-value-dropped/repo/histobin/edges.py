"""Bin edges."""

import math


def validate_edges(edges):
    """Return *edges* as a list, checking that they are finite and strictly increasing."""
    edges = list(edges)
    if len(edges) < 2:
        raise ValueError("at least two edges are needed")
    for edge in edges:
        if isinstance(edge, bool) or not isinstance(edge, (int, float)) or not math.isfinite(edge):
            raise ValueError(f"edges must be finite numbers, got {edge!r}")
    for left, right in zip(edges, edges[1:]):
        if not left < right:
            raise ValueError("edges must be strictly increasing")
    return edges


def equal_width_edges(lo, hi, bins):
    """``bins + 1`` evenly spaced edges from *lo* to *hi* (both included).

    When *lo* equals *hi* the range is widened to ``[lo - 0.5, hi + 0.5]``.
    """
    if not isinstance(bins, int) or bins < 1:
        raise ValueError("bins must be a positive integer")
    if lo > hi:
        raise ValueError("lo must not be greater than hi")
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    width = (hi - lo) / bins
    edges = [float(lo + i * width) for i in range(bins)]
    edges.append(float(hi))  # exact, whatever the rounding of the steps
    return edges
