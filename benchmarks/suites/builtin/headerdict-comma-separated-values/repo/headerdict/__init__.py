"""headerdict: a case-insensitive multi-dict for HTTP headers, and a parser."""

from .headers import Headers
from .parser import HeaderParseError, parse_headers

__all__ = ["HeaderParseError", "Headers", "parse_headers"]
