"""mdtoc: tables of contents for Markdown documents."""

from .parser import Heading, iter_headings
from .slug import AnchorRegistry, slugify
from .toc import TOC_MARKER, build_toc, insert_toc

__all__ = [
    "TOC_MARKER",
    "AnchorRegistry",
    "Heading",
    "build_toc",
    "insert_toc",
    "iter_headings",
    "slugify",
]
