"""unitconv: length and temperature conversion."""

from .convert import convert, convert_text, parse_quantity
from .units import UNITS, IncompatibleUnits, Unit, UnknownUnit, lookup

__all__ = [
    "UNITS",
    "IncompatibleUnits",
    "Unit",
    "UnknownUnit",
    "convert",
    "convert_text",
    "lookup",
    "parse_quantity",
]
