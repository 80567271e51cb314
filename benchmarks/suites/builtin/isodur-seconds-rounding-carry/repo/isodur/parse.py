"""Parsing ISO 8601 duration strings."""

import re
from datetime import timedelta

_DURATION = re.compile(
    r"^(?P<sign>[-+])?P"
    r"(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?"
    r"(?:(?P<seconds>\d+)(?:[.,](?P<fraction>\d{1,6}))?S)?)?$"
)


class DurationError(ValueError):
    """Raised for strings that are not durations isodur can represent."""


def parse_duration(text):
    """Parse an ISO 8601 duration such as ``"P1DT2H"`` into a timedelta."""
    match = _DURATION.match(text.strip())
    if match is None or text.strip().rstrip("T").endswith("P"):
        raise DurationError(f"not an ISO 8601 duration: {text!r}")
    if match["years"] or match["months"]:
        raise DurationError(f"years and months have no fixed length: {text!r}")
    if not any(match[name] for name in ("weeks", "days", "hours", "minutes", "seconds")):
        raise DurationError(f"not an ISO 8601 duration: {text!r}")
    microseconds = int((match["fraction"] or "").ljust(6, "0"))
    value = timedelta(
        weeks=int(match["weeks"] or 0),
        days=int(match["days"] or 0),
        hours=int(match["hours"] or 0),
        minutes=int(match["minutes"] or 0),
        seconds=int(match["seconds"] or 0),
        microseconds=microseconds,
    )
    return -value if match["sign"] == "-" else value
