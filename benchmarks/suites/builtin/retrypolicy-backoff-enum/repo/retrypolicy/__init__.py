"""retrypolicy: retry flaky calls with configurable backoff."""

from .policy import RetryPolicy
from .runner import RetryError, call_with_retry, retrying

__all__ = ["RetryError", "RetryPolicy", "call_with_retry", "retrying"]
