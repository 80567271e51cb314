"""Model access for untrusted agents: a host-side gateway on a Unix socket.

The agent's container has no network and no API key. Its only way out is a Unix socket that we
bind-mount read-only into the container; behind it, this gateway forwards OpenAI-compatible chat
completions (tool calls included) to the real endpoint with the real key, enforces per-attempt
call and token limits, and records every call in the archive.
"""

from __future__ import annotations

import json
import os
import shutil
import socketserver
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import openai

from archive_db import Archive
from dgm.budget import Budget, BudgetExhausted, worst_case_cost
from dgm.config import LimitsConfig, ModelConfig
from dgm.errors import ModelEndpointError
from sandbox.container import Mount

SOCKET_DIR_IN_CONTAINER = "/run/dgm"
SOCKET_NAME = "model.sock"
# Parameters an agent may set; everything else (model, stream, user, ...) is ours to decide.
FORWARDED = {"messages", "tools", "tool_choice", "temperature", "top_p", "max_tokens", "stop",
             "response_format", "seed", "parallel_tool_calls", "max_completion_tokens"}
MAX_BODY = 8 * 1024 * 1024


@dataclass(frozen=True)
class CallContext:
    """Who a model call is for: every recorded call carries it."""

    run_id: int | None
    agent_id: int | None
    task_id: str | None
    purpose: str


class ModelClient:
    """The one place that talks to the configured endpoint (through the `openai` package)."""

    def __init__(self, config: ModelConfig, api_key: str | None, archive: Archive | None,
                 budget: Budget | None = None, assumed_max_output: int = 16_384) -> None:
        self.config = config
        self.archive = archive
        self.budget = budget or Budget(cap=None)
        self.assumed_max_output = assumed_max_output
        self._client = openai.OpenAI(
            base_url=config.base_url,
            api_key=api_key or "not-needed",
            max_retries=config.max_retries,
            timeout=httpx.Timeout(config.request_timeout_s, connect=10.0),
        )

    def check_reachable(self) -> None:
        """Fail fast with one line when the endpoint cannot be reached at all."""
        try:
            self._client.with_options(max_retries=0, timeout=10.0).models.list()
        except (openai.APIConnectionError, openai.APITimeoutError) as exc:
            raise ModelEndpointError(f"model endpoint {self.config.base_url} is unreachable: {exc}") from None
        except openai.AuthenticationError:
            raise ModelEndpointError(f"model endpoint {self.config.base_url} rejected the API key "
                                     f"(set ${self.config.api_key_env})") from None
        except openai.APIStatusError:
            pass  # some servers lack /models; reaching them is all we check

    def chat(self, ctx: CallContext, model: str, **body: Any) -> dict[str, Any]:
        """One chat completion, recorded with tokens, cost and latency whether it succeeds or not.

        Raises BudgetExhausted, without sending anything, when the call could pass the dollar cap.
        """
        worst = worst_case_cost(self.config.price(model), body, self.assumed_max_output)
        self.budget.reserve(worst, ctx.agent_id, ctx.task_id)
        start, cost = time.monotonic(), 0.0
        try:
            try:
                resp = self._client.chat.completions.create(model=model, stream=False, **body)
            except openai.APIError as exc:
                self._record(ctx, model, 0, 0, time.monotonic() - start, f"{type(exc).__name__}: {exc}"[:2000])
                raise
            usage = resp.usage
            prompt, completion = (usage.prompt_tokens, usage.completion_tokens) if usage else (0, 0)
            cost = self.cost_of(model, prompt, completion)
            self._record(ctx, model, prompt, completion, time.monotonic() - start, None)
            return resp.model_dump(exclude_none=True)
        finally:
            self.budget.settle(worst, cost)

    def cost_of(self, model: str, prompt_tokens: int, completion_tokens: int) -> float:
        price = self.config.price(model)
        return (prompt_tokens * price.input + completion_tokens * price.output) / 1e6

    def _record(self, ctx: CallContext, model: str, prompt: int, completion: int, latency: float, error: str | None) -> None:
        if self.archive is None:
            return
        self.archive.record_call(
            run_id=ctx.run_id, agent_id=ctx.agent_id, task_id=ctx.task_id, purpose=ctx.purpose, model=model,
            prompt_tokens=prompt, completion_tokens=completion, cost_usd=self.cost_of(model, prompt, completion),
            latency_s=latency, error=error,
        )


class _UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    gateway: "Gateway"


class _Handler(BaseHTTPRequestHandler):
    server: _UnixHTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet; calls go to the archive
        pass

    def address_string(self) -> str:
        return "unix"

    def do_GET(self) -> None:  # noqa: N802
        if self.path.rstrip("/").endswith("/models"):
            self._send(200, {"object": "list", "data": [{"id": self.server.gateway.model, "object": "model"}]})
        else:
            self._send(404, _error("not found", "not_found"))

    def do_POST(self) -> None:  # noqa: N802
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send(404, _error("not found", "not_found"))
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > MAX_BODY:
            self._send(413 if length > MAX_BODY else 400, _error("request body missing or too large", "invalid_request_error"))
            return
        try:
            body = json.loads(self.rfile.read(length))
            assert isinstance(body, dict) and isinstance(body.get("messages"), list)
        except (ValueError, AssertionError):
            self._send(400, _error("body must be a JSON object with a messages list", "invalid_request_error"))
            return
        status, payload = self.server.gateway.forward(body)
        self._send(status, payload)

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _error(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind}}


@dataclass
class Gateway:
    """Serves one attempt: a socket in a private directory, limits counted for that attempt only."""

    client: ModelClient
    ctx: CallContext
    model: str
    limits: LimitsConfig
    calls: int = 0
    tokens: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _dir: Path | None = field(default=None, init=False)
    _server: _UnixHTTPServer | None = field(default=None, init=False)

    def __enter__(self) -> "Gateway":
        # Short path: Unix socket paths are limited to ~108 bytes.
        self._dir = Path(tempfile.mkdtemp(prefix="dgm-gw-", dir="/tmp"))
        os.chmod(self._dir, 0o755)  # the container's unprivileged user must reach the socket
        self._server = _UnixHTTPServer(str(self._dir / SOCKET_NAME), _Handler)
        self._server.gateway = self
        os.chmod(self._dir / SOCKET_NAME, 0o666)
        threading.Thread(target=self._server.serve_forever, name="dgm-gateway", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)

    @property
    def socket_path(self) -> Path:
        assert self._dir is not None, "gateway not started"
        return self._dir / SOCKET_NAME

    def mount(self) -> Mount:
        assert self._dir is not None, "gateway not started"
        return Mount(host=self._dir, target=SOCKET_DIR_IN_CONTAINER, read_only=True)

    def env(self) -> dict[str, str]:
        return {"DGM_MODEL_SOCKET": f"{SOCKET_DIR_IN_CONTAINER}/{SOCKET_NAME}", "DGM_MODEL": self.model}

    def forward(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if self.calls >= self.limits.max_calls or self.tokens >= self.limits.max_tokens:
                return 429, _error(f"dgm: attempt limit reached ({self.calls} calls, {self.tokens} tokens)", "limit_exceeded")
            self.calls += 1
        request = {k: v for k, v in body.items() if k in FORWARDED}
        try:
            response = self.client.chat(self.ctx, self.model, **request)
        except BudgetExhausted as exc:
            return 429, _error(f"dgm: {exc}", "budget_exhausted")
        except openai.APIStatusError as exc:
            return exc.status_code, _upstream_error(exc)
        except openai.APITimeoutError:
            return 504, _error("upstream model request timed out", "timeout")
        except openai.APIError as exc:
            return 502, _error(f"upstream model error: {exc}", "upstream_error")
        usage = response.get("usage") or {}
        with self._lock:
            self.tokens += int(usage.get("total_tokens") or 0)
        return 200, response


def _upstream_error(exc: openai.APIStatusError) -> dict[str, Any]:
    try:
        body = exc.response.json()
        if isinstance(body, dict) and "error" in body:
            return body
    except ValueError:
        pass
    return _error(str(exc), "upstream_error")
