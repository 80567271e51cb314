"""Turn arbitrary titles into URL-safe slugs."""

import re

# Anything that is not a lowercase ASCII letter or digit separates words.
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def slugify(text, separator="-", max_length=None):
    """Return a lowercase ASCII slug for *text*.

    Runs of characters that are not ASCII letters or digits become a single
    *separator*; leading and trailing separators are removed.  When
    *max_length* is given the slug is shortened to at most that many
    characters, cutting at a word boundary whenever possible.
    """
    if not isinstance(text, str):
        raise TypeError(f"slugify() expects a str, got {type(text).__name__}")
    if not separator:
        raise ValueError("separator must be a non-empty string")
    if max_length is not None and max_length < 1:
        raise ValueError("max_length must be a positive integer")

    words = _words(text)
    slug = separator.join(words)
    if max_length is not None and len(slug) > max_length:
        slug = _truncate(words, separator, max_length)
    return slug


def _words(text):
    """Split *text* into lowercase ASCII words."""
    return [word for word in _NON_ALNUM.split(text.lower()) if word]


def _truncate(words, separator, max_length):
    """Keep as many whole words as fit into *max_length* characters.

    If not even the first word fits, it is cut hard.
    """
    kept = []
    length = 0
    for word in words:
        extra = len(word) + (len(separator) if kept else 0)
        if length + extra > max_length:
            break
        kept.append(word)
        length += extra
    if not kept:
        return words[0][:max_length]
    return separator.join(kept)
