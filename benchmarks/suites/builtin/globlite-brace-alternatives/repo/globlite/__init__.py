"""globlite: shell-style wildcard matching for paths."""

from .match import compile_pattern, filter, fnmatch, match_any
from .translate import translate

__all__ = ["compile_pattern", "filter", "fnmatch", "match_any", "translate"]
