"""Parsing, building and resolving JSON Pointers."""

import re

_ARRAY_INDEX = re.compile(r"^(0|[1-9][0-9]*)$")
_MISSING = object()


class JsonPointerError(LookupError):
    """The pointer is malformed or does not match the document."""


def _unescape(token):
    return token.replace("~0", "~").replace("~1", "/")


def _escape(token):
    return token.replace("~", "~0").replace("/", "~1")


def parse_pointer(pointer):
    """Split *pointer* into its unescaped reference tokens."""
    if not isinstance(pointer, str):
        raise TypeError("a JSON pointer must be a string")
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise JsonPointerError(f"pointer must be empty or start with '/': {pointer!r}")
    return [_unescape(token) for token in pointer[1:].split("/")]


def to_pointer(tokens):
    """Build a pointer string from reference tokens (str or int)."""
    return "".join("/" + _escape(str(token)) for token in tokens)


def resolve(document, pointer, default=_MISSING):
    """Return the value *pointer* refers to inside *document*.

    If the pointer does not match the document, return *default* when one
    is given and raise :class:`JsonPointerError` otherwise.  A malformed
    pointer always raises.
    """
    tokens = parse_pointer(pointer)
    current = document
    for depth, token in enumerate(tokens):
        try:
            current = _step(current, token)
        except JsonPointerError:
            if default is not _MISSING:
                return default
            raise JsonPointerError(
                f"{pointer!r}: nothing at {to_pointer(tokens[: depth + 1])!r}"
            ) from None
    return current


def _step(value, token):
    if isinstance(value, dict):
        if token in value:
            return value[token]
        raise JsonPointerError(token)
    if isinstance(value, list):
        if not _ARRAY_INDEX.match(token):
            raise JsonPointerError(token)
        index = int(token)
        if index >= len(value):
            raise JsonPointerError(token)
        return value[index]
    raise JsonPointerError(token)
