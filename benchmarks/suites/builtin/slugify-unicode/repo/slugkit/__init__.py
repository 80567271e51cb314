"""slugkit: URL-safe slugs from arbitrary text."""

from .core import slugify

__all__ = ["slugify"]
__version__ = "0.3.1"
