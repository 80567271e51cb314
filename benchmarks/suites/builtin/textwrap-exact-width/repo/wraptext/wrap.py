"""Greedy line wrapping."""

import re

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def wrap(text, width=70, *, initial_indent="", subsequent_indent="", max_lines=None,
         placeholder=" [...]"):
    """Wrap *text* into a list of lines of at most *width* characters.

    The first line starts with *initial_indent* and the others with
    *subsequent_indent*; indentation counts towards the width.  If
    *max_lines* is given, the output is cut to that many lines and the last
    one ends with *placeholder*.
    """
    if width < 1:
        raise ValueError(f"width must be at least 1, got {width}")
    if max_lines is not None and max_lines < 1:
        raise ValueError("max_lines must be at least 1")

    lines = []
    current = []
    length = 0  # len(" ".join(current))
    indent = initial_indent
    for word in text.split():
        candidate = length + len(word) + (1 if current else 0)
        if current and len(indent) + candidate >= width:
            lines.append(indent + " ".join(current))
            indent = subsequent_indent
            current, length = [word], len(word)
        else:
            current.append(word)
            length = candidate
    if current:
        lines.append(indent + " ".join(current))

    if max_lines is not None and len(lines) > max_lines:
        lines = _truncate(lines, max_lines, width, placeholder, initial_indent, subsequent_indent)
    return lines


def _truncate(lines, max_lines, width, placeholder, initial_indent, subsequent_indent):
    kept = lines[:max_lines]
    indent = initial_indent if max_lines == 1 else subsequent_indent
    words = kept[-1][len(indent):].split()
    while words and len(indent) + len(" ".join(words)) + len(placeholder) > width:
        words.pop()
    if words:
        kept[-1] = indent + " ".join(words) + placeholder
    else:
        kept[-1] = indent + placeholder.lstrip()
    return kept


def fill(text, width=70, **options):
    """Like :func:`wrap`, but return a single string with newlines."""
    return "\n".join(wrap(text, width, **options))


def fill_paragraphs(text, width=70, **options):
    """Fill each blank-line separated paragraph of *text* separately."""
    paragraphs = [p for p in _PARAGRAPH_BREAK.split(text.strip()) if p.strip()]
    return "\n\n".join(fill(p, width, **options) for p in paragraphs)
