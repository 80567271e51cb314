"""lrucache: a small LRU cache and memoization decorator."""

from .cache import CacheStats, LRUCache
from .decorator import memoize

__all__ = ["CacheStats", "LRUCache", "memoize"]
