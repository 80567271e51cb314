"""Unit definitions: each unit maps linearly onto its dimension's base unit."""

from dataclasses import dataclass


class UnknownUnit(KeyError):
    """Raised for a unit name (or alias) that is not defined."""


class IncompatibleUnits(ValueError):
    """Raised when converting between units of different dimensions."""


@dataclass(frozen=True)
class Unit:
    name: str
    dimension: str
    factor: float
    offset: float = 0.0

    def to_base(self, value):
        """Express *value*, given in this unit, in the base unit."""
        return value * self.factor + self.offset

    def from_base(self, value):
        """Express *value*, given in the base unit, in this unit."""
        return value / self.factor - self.offset


UNITS = {
    # length; base unit: metre
    "m": Unit("m", "length", 1.0),
    "km": Unit("km", "length", 1000.0),
    "cm": Unit("cm", "length", 0.01),
    "mm": Unit("mm", "length", 0.001),
    "in": Unit("in", "length", 0.0254),
    "ft": Unit("ft", "length", 0.3048),
    "yd": Unit("yd", "length", 0.9144),
    "mi": Unit("mi", "length", 1609.344),
    # temperature; base unit: kelvin
    "K": Unit("K", "temperature", 1.0),
    "degC": Unit("degC", "temperature", 1.0, 273.15),
    "degF": Unit("degF", "temperature", 5 / 9, 459.67 * 5 / 9),
    "degR": Unit("degR", "temperature", 5 / 9),
}

ALIASES = {
    "metre": "m",
    "meter": "m",
    "kilometre": "km",
    "kilometer": "km",
    "inch": "in",
    "foot": "ft",
    "feet": "ft",
    "mile": "mi",
    "kelvin": "K",
    "°C": "degC",
    "C": "degC",
    "celsius": "degC",
    "°F": "degF",
    "F": "degF",
    "fahrenheit": "degF",
    "°R": "degR",
    "rankine": "degR",
}


def lookup(name):
    """Return the Unit called *name* (a unit name or one of its aliases)."""
    key = ALIASES.get(name, name)
    try:
        return UNITS[key]
    except KeyError:
        raise UnknownUnit(name) from None
