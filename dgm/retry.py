"""How model calls survive a flaky endpoint: which errors are worth another try, how long to wait
before it, and the shared "endpoint down" state that pauses every call instead of failing them.

`ModelClient.chat` (gateway.py) is the only user. The pieces here know nothing of the archive or the
budget; the `openai` package is touched only to read an error's status, code and headers, and to
redact the API key from what an error says before it is kept.
"""

from __future__ import annotations

import enum
import json
import random
import re
import threading
import time
from dataclasses import dataclass

import openai

from dgm.config import ModelConfig
from dgm.errors import EndpointDown, ModelEndpointError

# How providers word "the request is longer than the model's context window" (OpenAI, Anthropic,
# vLLM, llama.cpp, Ollama, LiteLLM...); the code `context_length_exceeded` is the reliable signal.
OVERFLOW_PATTERN = re.compile(
    r"maximum context length|context.length|context_length_exceeded|prompt is too long|too many tokens"
    r"|reduce the length|exceeds? the available context size|exceed_context_size", re.IGNORECASE)
TRANSIENT_STATUSES = {408, 409, 429}
REDACTED = "[redacted]"


class ClientCancelled(ModelEndpointError):
    """The model client was cancelled (the run is shutting down): no call waits or starts any more."""


class Fault(enum.Enum):
    """What a failed try means for the call."""

    TRANSIENT = "transient"  # retry after a backoff: rate limit, 5xx, timeout, dropped connection
    DOWN = "down"  # retrying soon cannot help, waiting can: out of quota
    OVERFLOW = "overflow"  # the request does not fit the context window: fail the call, never retry
    FATAL = "fatal"  # the endpoint refuses this request (400, 401, 403, 404, 422...): fail at once


def classify(exc: openai.APIError) -> Fault:
    if isinstance(exc, openai.APIConnectionError):  # APITimeoutError included
        return Fault.TRANSIENT
    if not isinstance(exc, openai.APIStatusError):
        return Fault.FATAL  # e.g. an answer that does not parse
    status, code = exc.status_code, exc.code or ""
    if status in (400, 413) and (code == "context_length_exceeded" or OVERFLOW_PATTERN.search(exc.message or "")):
        return Fault.OVERFLOW
    if status == 429 and "insufficient_quota" in (code, exc.type or ""):
        return Fault.DOWN
    if status in TRANSIENT_STATUSES or status >= 500:
        return Fault.TRANSIENT
    return Fault.FATAL


def retry_after_s(exc: openai.APIError) -> float | None:
    """The server's Retry-After (or retry-after-ms) in seconds, when it gave one as a number."""
    if not isinstance(exc, openai.APIStatusError):
        return None
    headers = exc.response.headers
    for key, scale in (("retry-after-ms", 1e-3), ("retry-after", 1.0)):
        try:
            return max(0.0, float(headers[key]) * scale)
        except (KeyError, ValueError):
            continue  # absent, or an HTTP date: fall back to our own backoff
    return None


def upstream_message(exc: openai.APIError) -> str:
    """The endpoint's own words for an error (its body's message), else the exception's."""
    if isinstance(exc.body, dict) and isinstance(exc.body.get("message"), str):
        return exc.body["message"]
    return exc.message


def describe(exc: BaseException, secret: str | None = None) -> str:
    """One line for the record; `secret` is redacted before the cut, which could split it."""
    return redact(f"{type(exc).__name__}: {exc}", secret)[:2000]


def redact(text: str, secret: str | None) -> str:
    """`text` without `secret`: an endpoint may echo our request, Authorization header included, in
    the error text we keep (the archive, events, exceptions)."""
    return text.replace(secret, REDACTED) if secret else text


def scrub(exc: openai.APIError, secret: str | None) -> openai.APIError:
    """`exc` with `secret` removed from what it says (its text, message and body), for callers that
    keep or log it."""
    if secret:
        exc.args = tuple(redact(a, secret) if isinstance(a, str) else a for a in exc.args)
        exc.message = redact(exc.message, secret)
        if isinstance(exc.body, (dict, list, str)) and secret in json.dumps(exc.body, default=str):
            exc.body = json.loads(redact(json.dumps(exc.body, default=str), secret))
    return exc


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter: retry n waits uniform(0, min(max_s, base_s * 2**n))."""

    retries: int
    base_s: float
    max_s: float

    @classmethod
    def from_config(cls, config: ModelConfig) -> Backoff:
        return cls(config.max_retries, config.retry_base_s, config.retry_max_s)

    def wait_s(self, retry: int, rng: random.Random, retry_after: float | None = None) -> float:
        if retry_after is not None:  # the server knows best, within reason
            return min(self.max_s, retry_after)
        return rng.uniform(0.0, min(self.max_s, self.base_s * 2.0 ** min(retry, 64)))


class Turn(enum.Enum):
    """What `Outage.wait_turn` tells a call about to send its request."""

    GO = "go"  # the endpoint is up and was all along
    RESUMED = "resumed"  # it was down while the call waited and is up again: start a fresh round
    PROBE = "probe"  # it is still down and this call's one try is the probe


class Outage:
    """Whether one endpoint is down, shared by every thread that calls it.

    A call that used up its retries marks the endpoint down. From then on every call waits in
    `wait_turn` (on a condition, in slices of at most a second), and every `probe_s` one waiting call
    is let through to send its request once: the probe. An answer to a request sent after the outage
    began (a probe's, or a call's that was not waiting) ends it, and the waiting calls carry on. An
    outage older than `max_pause_s` makes the waiting calls raise EndpointDown. `cancel()` makes
    every waiting and later call raise ClientCancelled at once.
    """

    def __init__(self, name: str, probe_s: float, max_pause_s: float) -> None:
        self.name, self.probe_s, self.max_pause_s = name, probe_s, max_pause_s
        self.error = ""  # the last failure seen while down
        self.started: float | None = None  # wall-clock time (time.time()) the outage began
        # When (time.monotonic()) the newest request the endpoint answered was sent: a call that ran out
        # of retries compares it with its own first failure.
        self.last_answer_sent = float("-inf")
        self.gave_up = False  # an outage outlasted max_pause_s
        self.count = 0  # outages begun so far: work that spans a change of it may have been cut off
        self._cond = threading.Condition()
        self._down_at: float | None = None  # time.monotonic() the outage began
        self._next_probe = 0.0
        self._probing = False
        self._cancelled = False

    @property
    def down(self) -> bool:
        return self._down_at is not None

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def answered(self, sent_at: float) -> float | None:
        """The endpoint answered a request sent at ``sent_at`` (time.monotonic()). Only a request sent
        after the outage began ends it: the answer to one already on its way says nothing about now.
        Returns how long it was down when this ends an outage."""
        with self._cond:
            self.last_answer_sent = max(self.last_answer_sent, sent_at)
            if self._down_at is None or sent_at < self._down_at:
                return None
            down_s = time.monotonic() - self._down_at
            self._down_at = self.started = None
            self._cond.notify_all()
            return down_s

    def mark_down(self, error: str) -> bool:
        """The endpoint failed a call after all its retries; True when this begins the outage."""
        with self._cond:
            self.error = error
            if self._down_at is not None:
                return False
            self._down_at, self.started = time.monotonic(), time.time()
            self._next_probe = self._down_at + self.probe_s
            self.count += 1
            return True

    def wait_turn(self) -> Turn:
        """Block while the endpoint is down, unless it is this call's turn to probe it."""
        waited = False
        with self._cond:
            while True:
                self._check_cancelled()
                if self._down_at is None:
                    return Turn.RESUMED if waited else Turn.GO
                now = time.monotonic()
                down_s = now - self._down_at
                if down_s >= self.max_pause_s:
                    self.gave_up = True
                    raise EndpointDown(f"model endpoint {self.name} down for {down_s:.0f} s: {self.error}")
                if not self._probing and now >= self._next_probe:
                    self._probing = True
                    return Turn.PROBE
                until = self.max_pause_s - down_s if self._probing else min(self._next_probe - now, self.max_pause_s - down_s)
                self._cond.wait(timeout=min(max(until, 0.001), 1.0))
                waited = True

    def probe_done(self, error: str | None) -> None:
        """The probing call's try is over (error: it failed like the outage); the next probe is due
        probe_s from now."""
        with self._cond:
            self._probing = False
            self._next_probe = time.monotonic() + self.probe_s
            if error is not None and self._down_at is not None:
                self.error = error
            self._cond.notify_all()

    def sleep(self, seconds: float) -> None:
        """A backoff wait that cancel() cuts short."""
        with self._cond:
            self._cond.wait_for(lambda: self._cancelled, timeout=seconds)
            self._check_cancelled()

    def cancel(self) -> None:
        with self._cond:
            self._cancelled = True
            self._cond.notify_all()

    def _check_cancelled(self) -> None:
        if self._cancelled:
            raise ClientCancelled(f"model client for {self.name} was cancelled (the run is stopping)")
