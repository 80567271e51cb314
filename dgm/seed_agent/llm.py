"""A minimal OpenAI-compatible chat-completions client (standard library only).

Inside dgm the model is reached through a Unix socket that the host gateway serves (the sandbox has
no network and no API key); outside dgm a plain base URL works too. This is the one module that
reads the model's environment variables, in `ModelConfig.from_env` (the tool mode too: it is how the
agent talks to the model).
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any, Mapping

from errors import ContextTooLong, LimitReached, ModelError

# The gateway's per-attempt limits: retrying cannot help, so they end the run at once.
LIMIT_ERROR_TYPES = {"limit_exceeded", "cost_limit"}
CONTEXT_PATTERN = re.compile(
    r"context.length|maximum context|context window|too many tokens|prompt is too long", re.IGNORECASE
)
# Keys a chat message may carry on the wire; the transcript's own notes (a tool message's "name",
# an assistant message's "parsed_tool_calls") stay local, as strict servers reject unknown keys.
WIRE_KEYS = ("role", "content", "tool_calls", "tool_call_id")
TOOL_MODES = ("auto", "native", "text")


@dataclass
class ModelConfig:
    """Where the model lives and how patiently to talk to it."""

    socket_path: str | None = None  # a Unix socket serving the OpenAI HTTP API (dgm's gateway)
    base_url: str | None = None  # else e.g. http://127.0.0.1:8000/v1
    model: str = "default"
    api_key: str | None = None  # only outside dgm; inside, the gateway holds the key
    timeout_s: float = 600.0  # per request
    retries: int = 3  # extra attempts after a 429, a 5xx or a connection error
    backoff_s: float = 1.0  # first wait; doubles with each retry
    max_tokens: int | None = None  # each reply's output cap, sent as max_tokens; None: not sent
    tool_mode: str = "auto"  # the agent's --tool-mode when the command line does not give one

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "ModelConfig":
        """DGM_MODEL_SOCKET or DGM_MODEL_URL, DGM_MODEL, DGM_API_KEY, DGM_MODEL_TIMEOUT,
        DGM_MODEL_MAX_TOKENS and DGM_TOOL_MODE. A value that makes no sense counts as absent."""
        mode = env.get("DGM_TOOL_MODE", "").strip().lower()
        return cls(
            socket_path=env.get("DGM_MODEL_SOCKET") or None,
            base_url=env.get("DGM_MODEL_URL") or None,
            model=env.get("DGM_MODEL") or "default",
            api_key=env.get("DGM_API_KEY") or None,
            timeout_s=_positive(env.get("DGM_MODEL_TIMEOUT"), float) or 600.0,
            max_tokens=_positive(env.get("DGM_MODEL_MAX_TOKENS"), int),
            tool_mode=mode if mode in TOOL_MODES else "auto",
        )


def _positive(text: str | None, kind: type) -> Any:
    """``text`` as a positive int or float, else None."""
    try:
        value = kind(text)
    except (TypeError, ValueError):
        return None
    return value if 0 < value < float("inf") else None


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a Unix socket: the host name only fills the Host header."""

    def __init__(self, socket_path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = socket_path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class _Retryable(Exception):
    """A failure worth another attempt (rate limit, server error, broken connection)."""


class ModelClient:
    """Sends chat completions; returns the reply message or raises one of the errors above."""

    def __init__(self, config: ModelConfig) -> None:
        if not config.socket_path and not config.base_url:
            raise ModelError("no model endpoint: set DGM_MODEL_SOCKET or DGM_MODEL_URL")
        self.config = config

    def chat(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.config.model, "messages": [wire_message(m) for m in messages]}
        if tools:
            body.update(tools=tools, tool_choice="auto")
        if self.config.max_tokens:
            body["max_tokens"] = self.config.max_tokens
        data = json.dumps(body).encode()
        for attempt in range(self.config.retries + 1):
            try:
                return _reply_message(self._post(data))
            except _Retryable as exc:
                if attempt == self.config.retries:
                    raise ModelError(f"model request failed after {attempt + 1} attempts: {exc}") from None
                time.sleep(self.config.backoff_s * 2**attempt)
        raise AssertionError("unreachable")

    def _post(self, data: bytes) -> dict[str, Any]:
        conn, path = self._connection()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        try:
            conn.request("POST", path, body=data, headers=headers)
            response = conn.getresponse()
            status, raw = response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:  # refused, reset, timed out, garbled
            raise _Retryable(f"{type(exc).__name__}: {exc}") from None
        finally:
            conn.close()
        return _check(status, raw)

    def _connection(self) -> tuple[http.client.HTTPConnection, str]:
        if self.config.socket_path:
            return UnixHTTPConnection(self.config.socket_path, self.config.timeout_s), "/v1/chat/completions"
        url = urllib.parse.urlsplit(str(self.config.base_url).rstrip("/"))
        kind = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        return kind(url.netloc, timeout=self.config.timeout_s), f"{url.path}/chat/completions"


def wire_message(message: dict[str, Any]) -> dict[str, Any]:
    """The part of a transcript message the server should see."""
    return {k: message[k] for k in WIRE_KEYS if k in message}


def _check(status: int, raw: bytes) -> dict[str, Any]:
    """The parsed body of a successful response; otherwise the matching error."""
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        body = {"error": {"message": raw[:500].decode("utf-8", "replace")}}
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {"message": str(error or "")}
    message = str(error.get("message") or f"HTTP {status}")
    if error.get("type") in LIMIT_ERROR_TYPES:
        raise LimitReached(message)
    if status == 429 or status >= 500:
        raise _Retryable(f"HTTP {status}: {message}")
    if status == 413 or (status == 400 and (error.get("code") == "context_length_exceeded"
                                            or CONTEXT_PATTERN.search(message))):
        raise ContextTooLong(message)  # 413: the gateway refuses a request body that large
    if status != 200:
        raise ModelError(f"HTTP {status}: {message}", http_status=status)
    if not isinstance(body, dict):
        raise ModelError("the model server answered something other than a JSON object")
    return body


def _reply_message(body: dict[str, Any]) -> dict[str, Any]:
    try:
        message = body["choices"][0]["message"]
    except (KeyError, IndexError, TypeError):
        raise ModelError(f"no choices[0].message in the model's answer: {str(body)[:300]}") from None
    if not isinstance(message, dict):
        raise ModelError("choices[0].message is not an object")
    return message
