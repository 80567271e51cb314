"""phonenorm: normalise phone numbers to E.164."""

from .countries import COUNTRIES, Country
from .normalize import InvalidNumber, PhoneNumber, normalize, parse, same_number

__all__ = ["COUNTRIES", "Country", "InvalidNumber", "PhoneNumber", "normalize", "parse", "same_number"]
