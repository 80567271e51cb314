"""Encoding and decoding."""

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"([1-9]\d*)(\D)", re.DOTALL)


class RLEError(ValueError):
    """Raised for text that cannot be encoded or data that cannot be decoded."""


def runs(text):
    """Yield ``(character, length)`` for each run of equal characters in *text*."""
    current, length = None, 0
    for ch in text:
        if ch == current:
            length += 1
            continue
        if current is not None:
            yield current, length
        current, length = ch, 1
    if current is not None:
        yield current, length


def encode(text):
    """Run-length encode *text*: ``"aaab"`` -> ``"3a1b"``."""
    for position, ch in enumerate(text):
        if ch.isdecimal():
            raise RLEError(f"cannot encode digit {ch!r} at position {position}")
    return "".join(f"{length}{ch}" for ch, length in runs(text))


def decode(data):
    """Decode the output of :func:`encode`."""
    out = []
    position = 0
    while position < len(data):
        match = _TOKEN.match(data, position)
        if match is None:
            raise RLEError(f"malformed run at position {position}: {data[position:position + 10]!r}")
        out.append(match.group(2) * int(match.group(1)))
        position = match.end()
    return "".join(out)


@dataclass(frozen=True)
class Stats:
    original: int
    encoded: int

    @property
    def ratio(self):
        """Encoded size divided by original size (smaller is better)."""
        return self.encoded / self.original if self.original else 1.0


def stats(text):
    """How long *text* is before and after encoding."""
    return Stats(len(text), len(encode(text)))
