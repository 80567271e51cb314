"""Parsing durations written as text."""

from __future__ import annotations

import re

from .format import UNITS

PART = re.compile(r"(\d+)([hms])")


class DurationError(ValueError):
    """The text is not a duration this library writes."""


def parse_duration(text: str) -> int:
    """``"1h 23m 45s"`` -> ``5025``. Units may be left out but not repeated or reordered."""
    parts = text.split()
    if not parts:
        raise DurationError("empty duration")
    order = [unit for unit, _ in UNITS]
    total, last = 0, -1
    for part in parts:
        match = PART.fullmatch(part)
        if not match:
            raise DurationError(f"not a duration part: {part!r}")
        value, unit = int(match.group(1)), match.group(2)
        position = order.index(unit)
        if position <= last:
            raise DurationError(f"unit {unit!r} is repeated or out of order in {text!r}")
        last = position
        total += value * UNITS[position][1]
    return total
