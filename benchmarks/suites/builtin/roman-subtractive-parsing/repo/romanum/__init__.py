"""romanum: Roman numeral conversion."""

from .convert import MAX_VALUE, from_roman, to_roman

__all__ = ["MAX_VALUE", "from_roman", "to_roman"]
