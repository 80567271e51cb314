"""Formatting seconds as text."""

from __future__ import annotations

UNITS = (("h", 3600), ("m", 60), ("s", 1))


def split(seconds: int) -> tuple[int, int, int]:
    """Hours, minutes and seconds of a duration in whole seconds."""
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise TypeError(f"a duration is a whole number of seconds, not {type(seconds).__name__}")
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative: {seconds}")
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return hours, minutes, secs


def format_duration(seconds: int) -> str:
    """``5025`` -> ``"1h 23m 45s"``."""
    hours, minutes, secs = split(seconds)
    if hours:
        return f"{hours}h {minutes}m {secs}s"
    return f"{minutes}m {secs}s"
