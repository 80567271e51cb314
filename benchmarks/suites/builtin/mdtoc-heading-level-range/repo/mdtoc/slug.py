"""GitHub-style heading anchors."""

import re

_UNWANTED = re.compile(r"[^\w\- ]", re.UNICODE)


def slugify(text):
    """The anchor GitHub generates for a heading with this text."""
    return _UNWANTED.sub("", text.strip().lower()).replace(" ", "-")


class AnchorRegistry:
    """Hands out unique anchors for the headings of one document.

    Call :meth:`anchor` once per heading, in document order: the first
    heading with a given slug keeps it, later ones get ``-1``, ``-2``, ...
    """

    def __init__(self):
        self._seen = {}

    def anchor(self, text):
        base = slugify(text)
        count = self._seen.get(base, 0)
        self._seen[base] = count + 1
        return base if count == 0 else f"{base}-{count}"
