"""histobin: histogram binning helpers."""

from .edges import equal_width_edges, validate_edges
from .histogram import Histogram, histogram

__all__ = ["Histogram", "equal_width_edges", "histogram", "validate_edges"]
