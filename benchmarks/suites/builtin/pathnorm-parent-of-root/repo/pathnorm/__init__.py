"""pathnorm: platform-independent normalisation of POSIX and URL paths."""

from .paths import is_within, join, normalize, parent, segments

__all__ = ["is_within", "join", "normalize", "parent", "segments"]
