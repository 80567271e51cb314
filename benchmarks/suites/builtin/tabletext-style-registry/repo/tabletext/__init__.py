"""tabletext: aligned text tables."""

from .render import ALIGNMENTS, render, render_records

__all__ = ["ALIGNMENTS", "render", "render_records"]
