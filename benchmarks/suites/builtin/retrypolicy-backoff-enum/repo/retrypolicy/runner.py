"""Running a call under a RetryPolicy."""

import functools


class RetryError(Exception):
    """Every allowed attempt failed; ``last_exception`` is the final error."""

    def __init__(self, attempts, last_exception):
        super().__init__(f"gave up after {attempts} attempt{'s' if attempts != 1 else ''}: {last_exception!r}")
        self.attempts = attempts
        self.last_exception = last_exception


def call_with_retry(fn, policy, sleep, on_retry=None):
    """Call ``fn()`` until it succeeds or *policy* says to stop.

    Exceptions that are not in ``policy.retry_on`` propagate at once.
    ``on_retry(attempt, exc, delay)`` is called before each wait.
    """
    attempt = 1
    while True:
        try:
            return fn()
        except Exception as exc:
            if not isinstance(exc, policy.retry_on):
                raise
            if not policy.should_retry(exc, attempt):
                raise RetryError(attempt, exc) from exc
            delay = policy.delay(attempt)
            if on_retry is not None:
                on_retry(attempt, exc, delay)
            sleep(delay)
            attempt += 1


def retrying(policy, sleep):
    """Decorator form of :func:`call_with_retry`."""

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            return call_with_retry(lambda: fn(*args, **kwargs), policy, sleep)

        return wrapper

    return decorate
