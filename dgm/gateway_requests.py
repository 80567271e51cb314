"""What an attempt's gateway tells the agent, and how it reads what the agent sends: every byte of a
request is hostile input. Anything malformed gets a JSON 4xx; an upstream failure is told only as a
fixed text per kind (an endpoint may echo our Authorization header in its error)."""

from __future__ import annotations

import io
import json
import math
import re
import socket
import time
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

import openai

from dgm.budget import BudgetExhausted
from dgm.errors import ContextOverflow, EndpointDown
from dgm.retry import ClientCancelled

OUTPUT_CAPS = ("max_tokens", "max_completion_tokens")
MAX_BODY = 8 * 1024 * 1024
# Deeper JSON than any chat request needs; libraries downstream (the `openai` package) recurse on it.
MAX_JSON_DEPTH = 64
RETRY_AFTER_S = 1  # told to an agent whose request waits for a free slot


@dataclass(frozen=True)
class Answer:
    """One response to the agent."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    close: bool = False  # the request's body was not read: the connection cannot carry another request


class Refused(Exception):
    """A request refused before it reached the gateway's limits (malformed, too large, no slot)."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.body["error"]["message"])
        self.answer = answer


def error_body(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "code": code}}


def refusal(status: int, message: str, kind: str = "invalid_request_error", code: str | None = None, *,
             retry_after: int | None = None, close: bool = False) -> Answer:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return Answer(status, error_body(message, kind, code), headers, close)


def busy(message: str, code: str, close: bool = False) -> Answer:
    """A refusal that waiting cures (type rate_limit_error: clients retry it, and never take it for the
    attempt's end, which `limit_exceeded` means)."""
    return refusal(429, message, "rate_limit_error", code, retry_after=RETRY_AFTER_S, close=close)


# Upstream failures as the agent sees them: a fixed text per kind, never the upstream's own words.
OVERFLOW_ANSWER = Answer(400, error_body("the request does not fit the model's context window",
                                     "invalid_request_error", "context_length_exceeded"))
UPSTREAM_STATUS_TEXT = {
    400: ("invalid_request_error", "the model endpoint rejected the request"),
    401: ("upstream_auth_error", "the model endpoint refused the gateway's credentials"),
    403: ("upstream_auth_error", "the model endpoint refused the gateway's credentials"),
    404: ("not_found_error", "the model endpoint does not serve this model"),
    413: ("invalid_request_error", "the request is too large for the model endpoint"),
    422: ("invalid_request_error", "the model endpoint rejected the request"),
    429: ("rate_limit_error", "the model endpoint is rate limiting; retry later"),
}


def upstream_failure(exc: Exception) -> Answer:
    """What the agent is told of a failed call: the status and a type and code, with a fixed message."""
    if isinstance(exc, BudgetExhausted):
        return refusal(429, "the run's budget is spent", "budget_exhausted", "budget_exhausted")
    if isinstance(exc, ContextOverflow):
        return OVERFLOW_ANSWER
    if isinstance(exc, EndpointDown):
        return refusal(503, "the model endpoint is down", "endpoint_down", "endpoint_down")
    if isinstance(exc, ClientCancelled):
        return refusal(503, "the run is stopping", "cancelled", "cancelled")
    if isinstance(exc, openai.APITimeoutError):
        return refusal(504, "the model request timed out", "timeout", "upstream_timeout")
    if isinstance(exc, openai.APIConnectionError):
        return refusal(502, "the model endpoint could not be reached", "upstream_error", "upstream_connection")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code if 400 <= exc.status_code <= 599 else 502
        kind, message = UPSTREAM_STATUS_TEXT.get(
            status, ("server_error", "the model endpoint failed") if status >= 500
            else ("upstream_error", "the model endpoint refused the request"))
        return refusal(status, message, kind, f"upstream_{status}")
    if isinstance(exc, openai.APIError):
        return refusal(502, "the model endpoint gave an unusable answer", "upstream_error", "upstream_invalid")
    return refusal(500, "the gateway failed on this request", "internal_error", "internal_error")


# -- reading a request ------------------------------------------------------------------------------

DIGITS = re.compile(r"[0-9]+")


def content_length(headers: Message) -> int:
    """The body's length from the headers, or Refused: exactly one decimal Content-Length, no chunked
    body (whose length nobody knows before reading it), at most MAX_BODY."""
    if headers.get("Transfer-Encoding") is not None:
        raise Refused(refusal(411, "send the body with a Content-Length (no Transfer-Encoding)", close=True))
    values = {v.strip() for v in headers.get_all("Content-Length") or []}
    if not values:
        raise Refused(refusal(411, "a Content-Length header is required", close=True))
    value = values.pop()
    if values or not DIGITS.fullmatch(value):
        raise Refused(refusal(400, "Content-Length must be one non-negative integer", close=True))
    length = int(value) if len(value) <= 18 else MAX_BODY + 1  # int() refuses thousands of digits
    if length > MAX_BODY:
        raise Refused(refusal(413, f"the request body is larger than {MAX_BODY} bytes", close=True))
    if length == 0:
        raise Refused(refusal(400, "the request body is empty", close=True))
    return length


def parse_body(raw: bytes) -> dict[str, Any]:
    """The request as a dict, or Refused (400) naming what is wrong with it."""
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise Refused(refusal(400, "the request body is not valid UTF-8")) from None
    except RecursionError:  # the C parser's own guard against deep nesting
        raise Refused(refusal(400, f"the request body is nested deeper than {MAX_JSON_DEPTH} levels")) from None
    except ValueError:
        raise Refused(refusal(400, "the request body is not JSON")) from None
    problem = _shape_problem(body)
    if problem is not None:
        raise Refused(refusal(400, problem))
    return body


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity: Python accepts them, no encoder downstream does


def _shape_problem(body: Any) -> str | None:
    """What makes a parsed body unfit to forward, or None."""
    if not isinstance(body, dict):
        return "the request body must be a JSON object"
    problem = _tree_problem(body)
    if problem is not None:
        return problem
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
        return "messages must be a non-empty list of objects"
    if body.get("tools") is not None and not (isinstance(body["tools"], list)
                                              and all(isinstance(t, dict) for t in body["tools"])):
        return "tools must be a list of objects"
    for key in OUTPUT_CAPS:
        value = body.get(key)
        if value is not None and (type(value) is not int or value < 1):  # bool is an int; refuse it too
            return f"{key} must be a positive integer"
    return None


def _tree_problem(tree: Any) -> str | None:
    """Nesting deeper than MAX_JSON_DEPTH, or text no UTF-8 encoder accepts (a lone surrogate from a
    \\ud800 escape, which would fail later, inside the `openai` package)."""
    if _deeper_than(tree, MAX_JSON_DEPTH):
        return f"the request body is nested deeper than {MAX_JSON_DEPTH} levels"
    try:
        json.dumps(tree, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return "the request body has text that is not valid Unicode"
    return None


def _deeper_than(tree: Any, depth: int) -> bool:
    """Level by level, visiting containers only: no recursion for deep nesting to exhaust, and no
    per-node bookkeeping for millions of tiny nodes to make slow."""
    level = [tree]
    for _ in range(depth):
        level = [child for node in level for child in (node.values() if isinstance(node, dict) else node)
                 if isinstance(child, (dict, list))]
        if not level:
            return False
    return True


class DeadlineReader(io.RawIOBase):
    """A socket's reads that stop at a deadline. A socket timeout alone restarts with every byte, so a
    client sending a byte a second would hold its connection (and thread) for ever."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self.sock = sock
        self.deadline = math.inf

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request was not received in time")
        self.sock.settimeout(left)
        return self.sock.recv_into(buffer)
