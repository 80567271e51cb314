"""Human-readable durations: format_duration(5025) == "1h 23m 45s", and back."""

from .format import format_duration
from .parse import DurationError, parse_duration
from .report import report

__all__ = ["DurationError", "format_duration", "parse_duration", "report"]
