"""Conversion functions."""

import re

from .units import ALIASES, IncompatibleUnits, lookup

_QUANTITY_RE = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S+)\s*$")


def convert(value, from_unit, to_unit):
    """Convert *value* from *from_unit* to *to_unit* (names or aliases)."""
    source = lookup(from_unit)
    target = lookup(to_unit)
    if source.dimension != target.dimension:
        raise IncompatibleUnits(
            f"cannot convert {source.dimension} ({source.name}) to {target.dimension} ({target.name})"
        )
    if source is target:
        return float(value)
    return target.from_base(source.to_base(value))


def parse_quantity(text):
    """Split ``"12.5 km"`` into ``(12.5, "km")``, resolving aliases."""
    match = _QUANTITY_RE.match(text)
    if not match:
        raise ValueError(f"not a quantity: {text!r}")
    number, unit = match.groups()
    lookup(unit)  # raises UnknownUnit
    return float(number), ALIASES.get(unit, unit)


def convert_text(text, to_unit):
    """Parse a quantity and convert it to *to_unit*."""
    value, unit = parse_quantity(text)
    return convert(value, unit, to_unit)
