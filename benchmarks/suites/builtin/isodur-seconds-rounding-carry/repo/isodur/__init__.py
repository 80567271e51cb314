"""isodur: ISO 8601 durations as timedelta."""

from .format import format_duration
from .parse import DurationError, parse_duration

__all__ = ["DurationError", "format_duration", "parse_duration"]
