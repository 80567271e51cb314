"""Model access for untrusted agents: a host-side gateway on a Unix socket.

The agent's container has no network and no API key. Its only way out is a Unix socket that we
bind-mount read-only into the container; behind it, this gateway forwards OpenAI-compatible chat
completions (tool calls included) to the real endpoint with the real key, enforces per-attempt
call and token limits, and records every call in the archive.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import socketserver
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import openai

from archive_db import Archive
from dgm.budget import Budget, BudgetExhausted, worst_case_tokens
from dgm.config import LimitsConfig, ModelConfig
from dgm.errors import ContextOverflow, EndpointDown, ModelEndpointError
from dgm.retry import (Backoff, ClientCancelled, Fault, Outage, Turn, classify, describe, retry_after_s,
                       upstream_message)
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
    """The one place that talks to the configured endpoint (through the `openai` package).

    Retries are ours (the package's are off), so every try is recorded: rate limits, 5xx, timeouts
    and dropped connections are retried with backoff (retry.py); a call that runs out of retries marks
    the endpoint down, and then every call waits, paused, until a probe gets an answer. Thread-safe:
    the run's worker threads and every gateway share one client.

    `on_event(kind, data)` reports `model_retry` {model, attempt, error, wait_s}, `endpoint_down`
    {base_url, error, since} and `endpoint_up` {base_url, down_s}; `on_call(ctx)` is told of every try.
    `sleep` and `rng` are the backoff's wait and jitter, replaceable in tests.
    """

    def __init__(self, config: ModelConfig, api_key: str | None, archive: Archive | None,
                 budget: Budget | None = None, assumed_max_output: int = 16_384, *,
                 sleep: Callable[[float], None] | None = None, rng: random.Random | None = None) -> None:
        self.config = config
        self.archive = archive
        self.budget = budget or Budget(cap=None)
        self.assumed_max_output = assumed_max_output
        self.backoff = Backoff.from_config(config)
        self.outage = Outage(config.base_url, config.pause_probe_s, config.max_pause_s)
        self.on_event: Callable[[str, dict[str, Any]], None] = lambda kind, data: None
        self.on_call: Callable[[CallContext], None] = lambda ctx: None
        self._sleep = sleep or self.outage.sleep
        self._rng = rng or random.Random()
        self._client = openai.OpenAI(
            base_url=config.base_url,
            api_key=api_key or "not-needed",
            max_retries=0,
            timeout=httpx.Timeout(config.request_timeout_s, connect=10.0),
        )

    @property
    def paused(self) -> bool:
        """The endpoint is down: calls wait for it instead of failing."""
        return self.outage.down

    @property
    def outage_started(self) -> float | None:
        """When the current outage began (time.time()), or None."""
        return self.outage.started

    @property
    def outages(self) -> int:
        """How many outages have begun: an agent run that spans a change of it may have been cut off."""
        return self.outage.count

    @property
    def gave_up(self) -> bool:
        """An outage outlasted max_pause_s: calls raise EndpointDown; the run should stop (resumable)."""
        return self.outage.gave_up

    @property
    def cancelled(self) -> bool:
        return self.outage.cancelled

    def cancel(self) -> None:
        """Wake every waiting call and make it, and every later call, raise ClientCancelled. A request
        already on the wire is not cut: it ends within request_timeout_s."""
        self.outage.cancel()

    def close(self) -> None:
        self.cancel()
        self._client.close()

    def check_reachable(self) -> None:
        """Fail fast with one line when the endpoint cannot be reached at all."""
        try:
            self._client.with_options(timeout=10.0).models.list()
        except (openai.APIConnectionError, openai.APITimeoutError) as exc:
            raise ModelEndpointError(f"model endpoint {self.config.base_url} is unreachable: {exc}") from None
        except openai.AuthenticationError:
            raise ModelEndpointError(f"model endpoint {self.config.base_url} rejected the API key "
                                     f"(set ${self.config.api_key_env})") from None
        except openai.APIStatusError:
            pass  # some servers lack /models; reaching them is all we check

    def chat(self, ctx: CallContext, model: str, **body: Any) -> dict[str, Any]:
        """One chat completion; each try recorded with tokens, cost and latency, or with its error.

        Raises BudgetExhausted, without sending anything, when the call could pass the dollar cap (the
        reservation covers the call with all its retries); ContextOverflow when the request does not
        fit the model; EndpointDown when the endpoint stayed down past max_pause_s; ClientCancelled
        after cancel(); the `openai` error of a request the endpoint refuses (401, 404, ...).
        """
        prompt, output = worst_case_tokens(body, self.assumed_max_output)  # sizes the request once
        worst, worst_tokens = self.cost_of(model, prompt, output), prompt + output
        self.budget.reserve(worst, ctx.agent_id, ctx.task_id, tokens=worst_tokens)
        cost, tokens = 0.0, 0
        try:
            response, cost = self._call(ctx, model, body)
            usage = response.get("usage") or {}
            tokens = int(usage.get("prompt_tokens") or 0) + int(usage.get("completion_tokens") or 0)
            return response
        finally:
            self.budget.settle(worst, cost, worst_tokens, tokens)

    def cost_of(self, model: str, prompt_tokens: int, completion_tokens: int) -> float:
        price = self.config.price(model)
        return (prompt_tokens * price.input + completion_tokens * price.output) / 1e6

    def _call(self, ctx: CallContext, model: str, body: dict[str, Any]) -> tuple[dict[str, Any], float]:
        """Tries until one succeeds or the failure is final. A round of retries that runs out while
        the endpoint answered other requests, sent after this call first failed, blames this request,
        not the endpoint: it raises instead of pausing everyone (a poison request, a generation that
        always outlasts the timeout). Answers to requests sent before then prove nothing (they were
        on their way when the endpoint went). A rate limit always counts against the endpoint."""
        retry, first_failed = 0, None
        while True:
            turn = self.outage.wait_turn()
            if turn is not Turn.GO:
                retry, first_failed = 0, None
            failure = None
            sent = time.monotonic()
            try:
                result = self._try(ctx, model, body)
            except openai.APIError as exc:
                failure = exc
                fault = classify(exc)
            finally:
                if turn is Turn.PROBE:
                    self.outage.probe_done(describe(failure) if failure is not None else None)
            if failure is None:
                self._answered(sent)
                return result
            if fault in (Fault.OVERFLOW, Fault.FATAL):
                self._answered(sent)
                if fault is Fault.OVERFLOW:
                    raise ContextOverflow(upstream_message(failure)) from failure
                raise failure
            first_failed = sent if first_failed is None else first_failed
            if self.outage.cancelled or turn is Turn.PROBE:
                continue  # wait_turn raises ClientCancelled, or waits for the next probe
            if fault is Fault.TRANSIENT and retry < self.backoff.retries:
                wait = self.backoff.wait_s(retry, self._rng, retry_after_s(failure))
                retry += 1
                self.on_event("model_retry", {"model": model, "attempt": retry, "error": describe(failure),
                                              "wait_s": round(wait, 3)})
                self._sleep(wait)
                continue
            rate_limited = isinstance(failure, openai.APIStatusError) and failure.status_code == 429
            if fault is Fault.TRANSIENT and not rate_limited and self.outage.last_answer_sent > first_failed:
                raise failure
            if self.outage.mark_down(describe(failure)):
                self.on_event("endpoint_down", {"base_url": self.config.base_url, "error": describe(failure),
                                                "since": self.outage.started})

    def _try(self, ctx: CallContext, model: str, body: dict[str, Any]) -> tuple[dict[str, Any], float]:
        """One request, recorded; raises the `openai` error of a failed one."""
        start = time.monotonic()
        try:
            resp = self._client.chat.completions.create(model=model, stream=False, **body)
        except openai.APIError as exc:
            self._record(ctx, model, 0, 0, time.monotonic() - start, describe(exc))
            raise
        finally:
            self.on_call(ctx)
        usage = resp.usage
        prompt, completion = (usage.prompt_tokens, usage.completion_tokens) if usage else (0, 0)
        self._record(ctx, model, prompt, completion, time.monotonic() - start, None)
        return resp.model_dump(exclude_none=True), self.cost_of(model, prompt, completion)

    def _answered(self, sent_at: float) -> None:
        down_s = self.outage.answered(sent_at)
        if down_s is not None:
            self.on_event("endpoint_up", {"base_url": self.config.base_url, "down_s": round(down_s, 3)})

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

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], OSError):  # an agent that hung up (timed out) is not our error
            super().handle_error(request, client_address)


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
        # A call may take long here: retries with backoff, and while the endpoint is down, the whole
        # pause (up to model.max_pause_s). The agent's own HTTP timeout (the seed agent's
        # DGM_MODEL_TIMEOUT, 600 s) may fire first: it then retries, and this call, still running, is
        # finished and recorded but its answer is lost (and each retry counts against max_calls). That
        # is accepted: the agent's container has a wall limit anyway, and the watchdog does not count a
        # pause as a stall. EndpointDown and cancellation answer 503, which the agent retries a few
        # times and then gives up on.
        try:
            response = self.client.chat(self.ctx, self.model, **request)
        except BudgetExhausted as exc:
            return 429, _error(f"dgm: {exc}", "budget_exhausted")
        except ContextOverflow as exc:
            # One wording for every provider, so the agent can tell (status "context_length").
            return 400, {"error": {"message": str(exc), "type": "invalid_request_error", "code": "context_length_exceeded"}}
        except EndpointDown as exc:
            return 503, _error(f"dgm: {exc}", "endpoint_down")
        except ClientCancelled as exc:
            return 503, _error(f"dgm: {exc}", "cancelled")
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
