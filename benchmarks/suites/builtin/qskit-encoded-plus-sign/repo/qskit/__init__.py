"""qskit: parse and build application/x-www-form-urlencoded query strings."""

from .codec import decode_component, quote, unquote
from .query import encode, get_first, parse, parse_pairs

__all__ = ["decode_component", "encode", "get_first", "parse", "parse_pairs", "quote", "unquote"]
