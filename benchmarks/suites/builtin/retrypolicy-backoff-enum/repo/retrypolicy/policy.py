"""The RetryPolicy: how many attempts, and how long to wait between them."""

_FIELDS = ("max_attempts", "base_delay", "max_delay", "exponential", "multiplier", "retry_on")


def _seconds(value):
    return f"{value:g}s"


class RetryPolicy:
    """How often to try a call, and how long to wait before each retry.

    With ``exponential=True`` (the default) the delay before the n-th retry is
    ``base_delay * multiplier ** (n - 1)``; with ``exponential=False`` it is
    always ``base_delay``. Delays never exceed ``max_delay``.
    """

    def __init__(self, max_attempts=3, base_delay=1.0, max_delay=30.0, exponential=True,
                 multiplier=2.0, retry_on=(Exception,)):
        if not isinstance(max_attempts, int) or isinstance(max_attempts, bool) or max_attempts < 1:
            raise ValueError("max_attempts must be a positive integer")
        if base_delay < 0:
            raise ValueError("base_delay must not be negative")
        if max_delay < base_delay:
            raise ValueError("max_delay must not be smaller than base_delay")
        if multiplier < 1:
            raise ValueError("multiplier must be at least 1")
        if isinstance(retry_on, type):
            retry_on = (retry_on,)
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.exponential = bool(exponential)
        self.multiplier = multiplier
        self.retry_on = tuple(retry_on)

    def delay(self, retry_number):
        """Seconds to wait before retry number *retry_number* (1 for the first retry)."""
        if retry_number < 1:
            raise ValueError("retry numbers start at 1")
        if self.exponential:
            delay = self.base_delay * self.multiplier ** (retry_number - 1)
        else:
            delay = self.base_delay
        return min(delay, self.max_delay)

    def delays(self):
        """The delay before every retry the policy allows."""
        return [self.delay(n) for n in range(1, self.max_attempts)]

    def should_retry(self, exc, attempt):
        """True if a call that raised *exc* on attempt number *attempt* should be retried."""
        return attempt < self.max_attempts and isinstance(exc, self.retry_on)

    def describe(self):
        text = f"{self.max_attempts} attempt{'s' if self.max_attempts != 1 else ''}"
        if self.max_attempts == 1:
            return text + ", no retries"
        if self.exponential:
            return (f"{text}, exponential backoff from {_seconds(self.base_delay)} "
                    f"(x{self.multiplier:g}), capped at {_seconds(self.max_delay)}")
        return f"{text}, constant {_seconds(self.base_delay)} delay"

    def _settings(self):
        return {name: getattr(self, name) for name in _FIELDS}

    def replace(self, **changes):
        """A copy of this policy with some settings changed."""
        unknown = set(changes) - set(_FIELDS)
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        settings = self._settings()
        settings.update(changes)
        return RetryPolicy(**settings)

    @classmethod
    def from_dict(cls, config):
        """Build a policy from a configuration mapping (``retry_on`` cannot be configured)."""
        allowed = set(_FIELDS) - {"retry_on"}
        unknown = set(config) - allowed
        if unknown:
            raise ValueError(f"unknown retry settings: {', '.join(sorted(unknown))}")
        return cls(**config)

    def __eq__(self, other):
        if not isinstance(other, RetryPolicy):
            return NotImplemented
        return self._settings() == other._settings()

    def __repr__(self):
        inner = ", ".join(f"{k}={v!r}" for k, v in self._settings().items())
        return f"RetryPolicy({inner})"
