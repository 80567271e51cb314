"""Matching names against glob patterns."""

import functools
import re

from .translate import translate


@functools.lru_cache(maxsize=256)
def compile_pattern(pattern, case_sensitive=True):
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.compile(translate(pattern), flags)


def fnmatch(name, pattern, case_sensitive=True):
    """Whether the whole of *name* matches *pattern*."""
    return compile_pattern(pattern, case_sensitive).match(name) is not None


def filter(names, pattern, case_sensitive=True):
    """The names that match *pattern*, in their original order."""
    regex = compile_pattern(pattern, case_sensitive)
    return [name for name in names if regex.match(name)]


def match_any(name, patterns, case_sensitive=True):
    """Whether *name* is selected by *patterns* (last match wins, ``!`` excludes)."""
    selected = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        body = pattern[1:] if negated else pattern
        if fnmatch(name, body, case_sensitive):
            selected = not negated
    return selected


__all__ = ["compile_pattern", "filter", "fnmatch", "match_any"]
