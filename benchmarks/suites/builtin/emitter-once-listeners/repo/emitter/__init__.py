"""emitter: a small synchronous event emitter."""

from .events import WILDCARD, EventEmitter

__all__ = ["WILDCARD", "EventEmitter"]
