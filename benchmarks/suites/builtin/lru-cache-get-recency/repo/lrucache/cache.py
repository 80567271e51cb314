"""Least-recently-used cache."""

from collections import OrderedDict
from dataclasses import dataclass

_MISSING = object()


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    evictions: int = 0

    @property
    def hit_rate(self):
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


class LRUCache:
    """A mapping that holds at most *capacity* entries.

    When a new key is added to a full cache, the entry that was used least
    recently is evicted.  Both reading an entry with :meth:`get` and writing
    it with :meth:`put` count as using it.  :meth:`peek` and ``in`` do not.
    """

    def __init__(self, capacity, on_evict=None):
        if not isinstance(capacity, int) or capacity < 1:
            raise ValueError("capacity must be a positive integer")
        self.capacity = capacity
        self.stats = CacheStats()
        self._on_evict = on_evict
        self._data = OrderedDict()  # least recently used first

    def __len__(self):
        return len(self._data)

    def __contains__(self, key):
        return key in self._data

    def __repr__(self):
        return f"LRUCache(capacity={self.capacity}, size={len(self)})"

    def get(self, key, default=None):
        """Return the value for *key*, or *default* if it is not cached."""
        value = self._data.get(key, _MISSING)
        if value is _MISSING:
            self.stats.misses += 1
            return default
        self.stats.hits += 1
        return value

    def peek(self, key, default=None):
        """Return the value for *key* without touching statistics or order."""
        return self._data.get(key, default)

    def put(self, key, value):
        """Insert or update *key*, evicting the oldest entry if needed."""
        if key in self._data:
            self._data.move_to_end(key)
            self._data[key] = value
            return
        self._data[key] = value
        if len(self._data) > self.capacity:
            old_key, old_value = self._data.popitem(last=False)
            self.stats.evictions += 1
            if self._on_evict is not None:
                self._on_evict(old_key, old_value)

    def pop(self, key, default=_MISSING):
        """Remove *key* and return its value."""
        if default is _MISSING:
            return self._data.pop(key)
        return self._data.pop(key, default)

    def keys(self):
        """Keys from least to most recently used."""
        return list(self._data)

    def clear(self):
        self._data.clear()
