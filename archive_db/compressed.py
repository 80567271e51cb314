"""Long texts stored compressed: transcripts, test output and patches take most of an archive.

``CompressedText`` is a column type over ``Text``: a value longer than ``THRESHOLD`` characters is
written as ``MARKER`` + base64(zlib(utf-8)), which is still text, so every backend stores it in the
same column without a type migration; reading gives the original ``str`` back. Values written before
(plain text) read unchanged, and a short value that happens to begin with the marker is compressed
too, so a stored value starting with the marker is always ours.

What the database sees is the encoded form: SQL over such a column (``length()``, ``LIKE``, equality)
measures or matches the encoding, not the text. The lengths the dashboard shows are kept in their own
columns for that reason (``Agent.transcript_chars`` and friends, migration 0004).
"""

from __future__ import annotations

import base64
import binascii
import zlib
from typing import Any

from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

MARKER = "dgm-zlib1:"
THRESHOLD = 1024  # characters; below this the base64 overhead and the work are not worth it
LEVEL = 6


def encode(value: str) -> str:
    """The stored form of ``value``: compressed when long (and smaller), else the text itself."""
    if len(value) <= THRESHOLD and not value.startswith(MARKER):
        return value
    packed = MARKER + base64.b64encode(zlib.compress(value.encode("utf-8"), LEVEL)).decode("ascii")
    return packed if len(packed) < len(value) or value.startswith(MARKER) else value


def decode(stored: str) -> str:
    """The text a stored value stands for; plain (older or short) values come back as they are."""
    if not stored.startswith(MARKER):
        return stored
    try:
        return zlib.decompress(base64.b64decode(stored[len(MARKER):], validate=True)).decode("utf-8")
    except (binascii.Error, zlib.error, UnicodeDecodeError):
        return stored  # not ours after all (text from elsewhere that starts with the marker): shown as stored


class CompressedText(TypeDecorator[str]):
    """``Text`` whose long values are stored compressed; see the module docstring."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else encode(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else decode(value)
