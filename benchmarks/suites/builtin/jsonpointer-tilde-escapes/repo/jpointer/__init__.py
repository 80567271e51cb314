"""jpointer: RFC 6901 JSON Pointer support."""

from .pointer import JsonPointerError, parse_pointer, resolve, to_pointer

__all__ = ["JsonPointerError", "parse_pointer", "resolve", "to_pointer"]
