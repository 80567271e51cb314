"""rangeset: sets of numbers stored as half-open ranges."""

from .interval import Interval
from .rangeset import RangeSet

__all__ = ["Interval", "RangeSet"]
