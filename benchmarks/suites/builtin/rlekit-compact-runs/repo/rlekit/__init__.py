"""rlekit: run-length encoding of text."""

from .codec import RLEError, decode, encode, runs, stats

__all__ = ["RLEError", "decode", "encode", "runs", "stats"]
