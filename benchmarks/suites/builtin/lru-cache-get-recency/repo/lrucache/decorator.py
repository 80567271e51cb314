"""Memoization on top of LRUCache."""

import functools

from .cache import LRUCache

_MISSING = object()


def _make_key(args, kwargs):
    if not kwargs:
        return args
    return args + (_MISSING,) + tuple(sorted(kwargs.items()))


def memoize(maxsize=128):
    """Cache a function's results, keeping the *maxsize* most recent calls."""

    def decorate(func):
        cache = LRUCache(maxsize)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            key = _make_key(args, kwargs)
            result = cache.get(key, _MISSING)
            if result is _MISSING:
                result = func(*args, **kwargs)
                cache.put(key, result)
            return result

        wrapper.cache = cache
        wrapper.cache_clear = cache.clear
        return wrapper

    return decorate
