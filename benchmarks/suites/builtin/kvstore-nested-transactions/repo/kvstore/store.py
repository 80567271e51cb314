"""The Store."""

from collections import Counter

_MISSING = object()


def _check_key(key):
    if not isinstance(key, str) or not key:
        raise TypeError(f"keys must be non-empty strings, got {key!r}")


class Store:
    def __init__(self):
        self._data = {}
        self._counts = Counter()  # value -> number of keys holding it

    def _put(self, key, value):
        """Set *key* to *value*, or remove it when *value* is _MISSING, keeping counts right."""
        old = self._data.pop(key, _MISSING)
        if old is not _MISSING:
            self._counts[old] -= 1
            if not self._counts[old]:
                del self._counts[old]
        if value is not _MISSING:
            self._data[key] = value
            self._counts[value] += 1

    def set(self, key, value):
        _check_key(key)
        hash(value)  # values must be hashable, for count()
        self._put(key, value)

    def get(self, key, default=None):
        return self._data.get(key, default)

    def delete(self, key):
        if key not in self._data:
            raise KeyError(key)
        self._put(key, _MISSING)

    def incr(self, key, amount=1):
        """Add *amount* to the integer at *key* (missing keys count as 0); return the result."""
        value = self._data.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"value at {key!r} is not an integer")
        self.set(key, value + amount)
        return value + amount

    def count(self, value):
        """How many keys currently hold *value*."""
        return self._counts[value]

    def keys(self):
        return sorted(self._data)

    def items(self):
        return sorted(self._data.items())

    def __len__(self):
        return len(self._data)

    def __contains__(self, key):
        return key in self._data
