"""Parsing quantities such as "1 1/2" or "¾"."""

import re

VULGAR = {"½": 1 / 2, "⅓": 1 / 3, "⅔": 2 / 3, "¼": 1 / 4, "¾": 3 / 4, "⅛": 1 / 8}

_NUMBER = re.compile(r"^(\d+(?:\.\d+)?|\.\d+)$")
_FRACTION = re.compile(r"^(\d+)/(\d+)$")
_MIXED = re.compile(r"^(\d+)\s+(\d+)/(\d+)$")
_WITH_VULGAR = re.compile(r"^(\d*)\s*([" + "".join(VULGAR) + r"])$")


def _ratio(numerator, denominator, text):
    if int(denominator) == 0:
        raise ValueError(f"zero denominator in {text!r}")
    return int(numerator) / int(denominator)


def parse_quantity(text):
    """Return the number written in *text*; ValueError if it is not a quantity."""
    cleaned = text.strip()
    if _NUMBER.match(cleaned):
        return float(cleaned)
    match = _FRACTION.match(cleaned)
    if match:
        return _ratio(match[1], match[2], text)
    match = _MIXED.match(cleaned)
    if match:
        return int(match[1]) + _ratio(match[2], match[3], text)
    match = _WITH_VULGAR.match(cleaned)
    if match:
        return int(match[1] or 0) + VULGAR[match[2]]
    raise ValueError(f"not a quantity: {text!r}")
