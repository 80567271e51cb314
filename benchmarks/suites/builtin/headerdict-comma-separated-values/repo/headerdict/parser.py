"""Parsing a block of header lines."""

import re

from .headers import Headers

_TOKEN_RE = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


class HeaderParseError(ValueError):
    """Raised for a malformed header line; ``line`` is its 1-based number."""

    def __init__(self, message, line):
        super().__init__(f"line {line}: {message}")
        self.line = line


def parse_headers(text):
    """Parse header lines up to the first empty line into a Headers."""
    fields = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line:
            break
        if line[0] in " \t":
            if not fields:
                raise HeaderParseError("continuation line without a header", number)
            name, value = fields[-1]
            fields[-1] = (name, f"{value} {line.strip()}".strip())
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise HeaderParseError("missing ':'", number)
        if not _TOKEN_RE.match(name):
            raise HeaderParseError(f"invalid header name {name!r}", number)
        fields.append((name, value.strip(" \t")))
    return Headers(fields)
