"""kvstore: an in-memory key-value store."""

from .store import Store

__all__ = ["Store"]
