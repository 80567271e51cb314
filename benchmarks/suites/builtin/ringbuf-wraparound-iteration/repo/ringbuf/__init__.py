"""ringbuf: a fixed-capacity ring buffer and a sliding window."""

from .buffer import RingBuffer
from .window import SlidingWindow

__all__ = ["RingBuffer", "SlidingWindow"]
