"""Parsing the text of a .env file."""

from __future__ import annotations

import re

KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class EnvFileError(ValueError):
    """A line that is not a KEY=value assignment; the message names the line."""


def _value(raw: str, lineno: int) -> str:
    raw = raw.strip()
    if raw[:1] in ("'", '"'):
        quote = raw[0]
        end = raw.find(quote, 1)
        if end == -1:
            raise EnvFileError(f"line {lineno}: unterminated {quote} quote")
        rest = raw[end + 1:].strip()
        if rest and not rest.startswith("#"):
            raise EnvFileError(f"line {lineno}: unexpected text after the closing quote: {rest!r}")
        return raw[1:end]
    comment = raw.find(" #")
    return (raw[:comment] if comment != -1 else raw).strip()


def parse(text: str) -> dict[str, str]:
    """The assignments in ``text``, in order; a later assignment of a key wins."""
    result: dict[str, str] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("export "):
            stripped = stripped[len("export "):].lstrip()
        key, sep, raw = stripped.partition("=")
        key = key.strip()
        if not sep or not KEY.fullmatch(key):
            raise EnvFileError(f"line {lineno}: expected KEY=value, got {line!r}")
        result[key] = _value(raw, lineno)
    return result
