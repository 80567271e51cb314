"""Converters between path segments and Python values."""

import re

_DIGITS_RE = re.compile(r"[0-9]+")


class Converter:
    """Base converter: one segment, kept as a string."""

    #: True for converters that take the rest of the path, slashes included.
    consumes_rest = False

    def to_python(self, text):
        """Convert the matched text; raise ValueError if it does not fit."""
        return text

    def to_url(self, value):
        """The text for *value* in a URL."""
        return str(value)


class StrConverter(Converter):
    pass


class IntConverter(Converter):
    def to_python(self, text):
        if not _DIGITS_RE.fullmatch(text):
            raise ValueError(f"not a non-negative integer: {text!r}")
        return int(text)

    def to_url(self, value):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"not a non-negative integer: {value!r}")
        return str(value)


class PathConverter(Converter):
    consumes_rest = True


DEFAULT_CONVERTERS = {"str": StrConverter, "int": IntConverter, "path": PathConverter}
