"""Formatting timedeltas as ISO 8601 durations."""

from datetime import timedelta


def _seconds_text(whole, microseconds, precision):
    text = f"{whole + microseconds / 1_000_000:.{precision}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_duration(value, precision=3):
    """Format the timedelta *value* as an ISO 8601 duration.

    Seconds are rounded to *precision* decimal places (0 to 6) and written
    without trailing zeros.  Zero components are left out; a zero duration is
    ``"PT0S"``.
    """
    if not isinstance(precision, int) or isinstance(precision, bool) or not 0 <= precision <= 6:
        raise ValueError(f"precision must be an integer from 0 to 6, got {precision!r}")
    if not isinstance(value, timedelta):
        raise TypeError(f"expected a timedelta, got {type(value).__name__}")
    sign = "-" if value < timedelta(0) else ""
    value = abs(value)

    hours, rest = divmod(value.seconds, 3600)
    minutes, whole_seconds = divmod(rest, 60)
    seconds = _seconds_text(whole_seconds, value.microseconds, precision)

    date = f"{value.days}D" if value.days else ""
    time = ""
    if hours:
        time += f"{hours}H"
    if minutes:
        time += f"{minutes}M"
    if seconds != "0":
        time += f"{seconds}S"
    if not date and not time:
        return "PT0S"
    return f"{sign}P{date}" + (f"T{time}" if time else "")
