"""wraptext: greedy word wrapping."""

from .wrap import fill, fill_paragraphs, wrap

__all__ = ["fill", "fill_paragraphs", "wrap"]
