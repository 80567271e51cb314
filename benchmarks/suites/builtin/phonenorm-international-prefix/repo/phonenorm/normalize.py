"""Parsing phone numbers as people write them."""

import re
from dataclasses import dataclass

from .countries import BY_CALLING_CODE, country_for

_ALLOWED = re.compile(r"^\+?[\d\s().\-/]+$")


class InvalidNumber(ValueError):
    """Raised for text that is not a phone number phonenorm understands."""


@dataclass(frozen=True)
class PhoneNumber:
    country: str
    calling_code: str
    national: str

    @property
    def e164(self):
        return f"+{self.calling_code}{self.national}"

    def __str__(self):
        return self.e164


def _clean(text):
    """Return ``(international, digits)`` for *text*."""
    text = text.strip()
    if not text:
        raise InvalidNumber("empty phone number")
    if not _ALLOWED.match(text):
        raise InvalidNumber(f"unexpected characters in {text!r}")
    international = text.startswith("+")
    if international:
        # "+44 (0)20 ..." - the "(0)" is a trunk prefix written out of habit.
        text = text.replace("(0)", "")
    return international, re.sub(r"\D", "", text)


def _split_calling_code(digits, original):
    for size in (1, 2, 3):
        country = BY_CALLING_CODE.get(digits[:size])
        if country is not None:
            return country, digits[size:]
    raise InvalidNumber(f"unknown country calling code in {original!r}")


def parse(text, default_country="US"):
    """Parse *text* into a PhoneNumber.

    Numbers without a leading ``+`` are national numbers of *default_country*.
    """
    international, digits = _clean(text)
    if international:
        country, national = _split_calling_code(digits, text)
    else:
        country = country_for(default_country)
        national = digits
        if country.trunk_prefix and national.startswith(country.trunk_prefix):
            national = national[len(country.trunk_prefix):]
    if len(national) not in country.lengths:
        raise InvalidNumber(
            f"{text!r} has {len(national)} digits; a {country.code} number has "
            + " or ".join(str(n) for n in country.lengths)
        )
    return PhoneNumber(country.code, country.calling_code, national)


def normalize(text, default_country="US"):
    """Return *text* in E.164 form, for example ``"+14155550100"``."""
    return parse(text, default_country).e164


def same_number(first, second, default_country="US"):
    """True if the two texts are the same phone number."""
    return parse(first, default_country) == parse(second, default_country)
