"""Model access for untrusted agents: a host-side gateway on a Unix socket.

The agent's container has no network and no API key. Its only way out is a Unix socket that we
bind-mount read-only into the container; behind it, this gateway forwards OpenAI-compatible chat
completions (tool calls included) to the real endpoint with the real key, enforces per-attempt
limits, and records every call in the archive.

The agent is an adversary, so the gateway assumes every byte it sends is hostile: a request's
tokens and calls are reserved at its worst case before it is forwarded (requests in flight count),
requests in flight and open connections are bounded, reading a request has a deadline, anything
malformed gets a JSON 4xx, and an upstream failure reaches the agent only as a fixed text per kind
of failure (an endpoint may echo our Authorization header in its error).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import socketserver
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import openai

from dgm.agent_run import SOCKET_NAME, ModelChannel
from dgm.budget import CHARS_PER_TOKEN_LOWER_BOUND, BudgetExhausted, requested_output_tokens, worst_case_prompt_tokens
from dgm.config import LimitsConfig
from dgm.errors import ModelEndpointError
from dgm.gateway_requests import (
    OUTPUT_CAPS,
    RETRY_AFTER_S,
    Answer,
    DeadlineReader,
    Refused,
    busy,
    content_length,
    error_body,
    parse_body,
    refusal,
    upstream_failure,
)
from dgm.model_client import CallContext, ModelClient

# Parameters an agent may set; everything else (model, stream, n, user, ...) is ours to decide.
FORWARDED = {"messages", "tools", "tool_choice", "temperature", "top_p", "max_tokens", "stop",
             "response_format", "seed", "parallel_tool_calls", "max_completion_tokens"}
BODY_SLACK = 64 * 1024  # bytes of a body beyond its text that no reservation needs to cover
DISCARD_CHUNK = 64 * 1024
# How long Gateway.__exit__ waits for connection threads to end once their sockets are shut down
# (a thread inside an upstream call ends with the call, later).
CLOSE_WAIT_S = 2.0
# A connection we close still reads what its client sent meanwhile, for this long at most: closing a
# Unix socket with unread bytes makes the client's next read fail with ECONNRESET instead of an end
# of file, so a client still sending (a slowloris cut at its deadline) might never see the answer.
LINGER_S = 0.5
LINGER_BYTES = 1 << 20


# -- the HTTP server --------------------------------------------------------------------------------

def _canned(status: HTTPStatus, body: dict[str, Any], headers: dict[str, str]) -> bytes:
    data = json.dumps(body).encode()
    lines = [f"HTTP/1.1 {status.value} {status.phrase}", "Content-Type: application/json",
             f"Content-Length: {len(data)}", "Connection: close", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


TOO_MANY_CONNECTIONS = _canned(HTTPStatus.SERVICE_UNAVAILABLE,
                               error_body("too many open connections to the gateway", "rate_limit_error", "connections"),
                               {"Retry-After": str(RETRY_AFTER_S)})


class _UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """A thread per connection, for at most `max_connections` connections: one more is closed as soon
    as it is accepted, before any thread exists for it. Never prints a traceback: what a handler
    thread raises is counted (`errors`) and reported through the gateway's events."""

    daemon_threads = True
    block_on_close = False  # __exit__ shuts the connections down and waits a bounded time instead
    # The listen backlog. With socketserver's 5, a client whose socket has a timeout (the seed agent's)
    # gets EAGAIN from connect() as soon as six connect at once; the accept loop drains it fast.
    request_queue_size = 128
    gateway: Gateway

    def __init__(self, path: str, max_connections: int) -> None:
        super().__init__(path, _Handler)
        self.max_connections = max_connections
        self.peak_connections = 0
        self.refused_connections = 0
        self.errors = 0
        self._open: set[socket.socket] = set()
        self._conn_threads: list[threading.Thread] = []  # pruned of ended ones at each new connection
        self._open_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            admitted = len(self._open) < self.max_connections
            if admitted:
                thread = threading.Thread(target=self.process_request_thread, args=(request, client_address),
                                          name="dgm-gateway-conn", daemon=True)
                self._open.add(request)
                self._conn_threads = [t for t in self._conn_threads if t.is_alive()] + [thread]
                self.peak_connections = max(self.peak_connections, len(self._open))
            else:
                self.refused_connections += 1
        if admitted:
            thread.start()
        else:
            self._turn_away(request)

    def _turn_away(self, request: socket.socket) -> None:
        """Close a connection over the limit from the accept loop. A canned 503 goes first, without
        blocking (a fresh socket's buffer is empty), so a client that reads it learns to retry."""
        try:
            request.setblocking(False)
            request.send(TOO_MANY_CONNECTIONS)
        except OSError:
            pass  # the client is gone already: closing is all that is left
        _close_softly(request, linger_s=0.0)  # the accept loop never waits on a client

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        _close_softly(request, linger_s=LINGER_S)

    @property
    def open_connections(self) -> int:
        with self._open_lock:
            return len(self._open)

    def close_connections(self, wait_s: float) -> None:
        """Shut every open connection down (a handler waiting for a request wakes and ends), then wait
        up to `wait_s` for their threads."""
        with self._open_lock:
            open_now, threads = list(self._open), list(self._conn_threads)
        for sock in open_now:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # its handler closed it meanwhile
        deadline = time.monotonic() + wait_s
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            return  # an agent that hung up, or a connection shut down by __exit__: not our error
        self.errors += 1
        self.gateway.report_error(error)


def _close_softly(sock: socket.socket, linger_s: float) -> None:
    """End our side, drop what the client sent until it ends too (at most `linger_s` and
    LINGER_BYTES), then close: the client reads our last answer and then a clean end of file."""
    try:
        sock.shutdown(socket.SHUT_WR)
        deadline, drained = time.monotonic() + linger_s, 0
        while drained < LINGER_BYTES:
            # A timeout (TimeoutError, an OSError) ends the wait like the client's end of file does.
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            chunk = sock.recv(DISCARD_CHUNK)
            if not chunk:
                break
            drained += len(chunk)
    except OSError:
        pass  # the client is gone already
    sock.close()


class _Handler(BaseHTTPRequestHandler):
    server: _UnixHTTPServer
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # replaced by a reader with a deadline; closing it keeps the socket open
        self._reader = DeadlineReader(self.connection)
        self.rfile = io.BufferedReader(self._reader)

    def handle_one_request(self) -> None:
        # One deadline for the whole request: waiting for it (an idle kept-alive connection), its
        # headers and its body. Past it the base class closes the connection.
        self._reader.deadline = time.monotonic() + self.server.gateway.limits.request_read_timeout_s
        super().handle_one_request()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet; calls go to the archive
        pass

    def address_string(self) -> str:
        return "unix"

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a garbled request line or header, a method we lack) in our JSON,
        not its HTML page."""
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "error"
        # A request line it could not parse leaves the version at HTTP/0.9, which gets no status line.
        self.request_version = self.protocol_version
        self._answer(refusal(code, phrase.lower(), close=True))

    def do_GET(self) -> None:  # noqa: N802
        if self._route() == "/models":
            self._answer(Answer(200, {"object": "list", "data": [{"id": self.server.gateway.model, "object": "model"}]}))
        else:
            self._answer(refusal(404, "not found", "not_found"))

    def do_POST(self) -> None:  # noqa: N802
        try:
            answer = self._post()
        except Refused as refused:
            answer = refused.answer
        except TimeoutError:  # the body did not arrive by the deadline
            answer = refusal(408, "the request was not received in time", close=True)
        except OSError:
            self.close_connection = True  # the agent hung up mid-request
            return
        except Exception as exc:  # noqa: BLE001 - a bug of ours must not become a traceback or a hang
            self.server.errors += 1
            self.server.gateway.report_error(exc)
            answer = refusal(500, "the gateway failed on this request", "internal_error", "internal_error", close=True)
        self._answer(answer)

    def _post(self) -> Answer:
        if self._route() != "/chat/completions":
            return refusal(404, "not found", "not_found", close=True)
        length = content_length(self.headers)
        gateway = self.server.gateway
        unfit = gateway.refuse_unread(length)
        if unfit is not None:
            self._discard(length)
            return unfit
        # The slot is taken before the body is read: parsing a body costs memory (up to ~20 times its
        # size), so it is bounded like the calls themselves.
        with gateway.call_slot() as admitted:
            if not admitted:
                self._discard(length)
                return busy(f"at most {gateway.limits.max_concurrent_calls} requests at once", "concurrent_calls")
            return gateway.forward(parse_body(self._read(length)))

    def _read(self, length: int) -> bytes:
        raw = self.rfile.read(length)
        if len(raw) < length:
            raise ConnectionAbortedError("the body ended early")
        return raw

    def _discard(self, length: int) -> None:
        """Read a refused body in small pieces (under the request's deadline) and drop it: answered
        before the client has sent it all, it would meet a closed connection and never see why."""
        while length > 0:
            length -= len(self._read(min(length, DISCARD_CHUNK)))

    def _route(self) -> str:
        path = self.path.split("?", 1)[0].rstrip("/")
        return path[3:] if path.startswith("/v1/") else path

    def _answer(self, answer: Answer) -> None:
        # The last barrier: whatever an upstream put in an answer, the key never leaves.
        data = self.server.gateway.client.redact(json.dumps(answer.body)).encode()
        if answer.close:
            self.close_connection = True
        # A client that does not read its answer is cut off after the same deadline.
        self.connection.settimeout(self.server.gateway.limits.request_read_timeout_s)
        self.send_response(answer.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in answer.headers.items():
            self.send_header(key, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)


# -- one attempt's gateway --------------------------------------------------------------------------

@dataclass
class Gateway:
    """Serves one attempt: a socket in a private directory, limits counted for that attempt only.

    `calls` counts requests forwarded, those in flight included (a failed one was still sent);
    `tokens` is the real usage of answered calls and `tokens_reserved` the worst cases of calls in
    flight; `in_flight` the requests holding a slot (being read, parsed or forwarded).
    """

    client: ModelClient
    ctx: CallContext
    model: str
    limits: LimitsConfig
    calls: int = 0
    tokens: int = 0
    tokens_reserved: int = 0
    in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _dir: Path | None = field(default=None, init=False)
    _server: _UnixHTTPServer | None = field(default=None, init=False)
    _serving: threading.Thread | None = field(default=None, init=False)

    def __enter__(self) -> Gateway:
        # Short path: Unix socket paths are limited to ~108 bytes.
        self._dir = Path(tempfile.mkdtemp(prefix="dgm-gw-", dir="/tmp"))
        os.chmod(self._dir, 0o755)  # the container's unprivileged user must reach the socket
        self._server = _UnixHTTPServer(str(self._dir / SOCKET_NAME), self.limits.max_connections)
        self._server.gateway = self
        os.chmod(self._dir / SOCKET_NAME, 0o666)
        self._serving = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                         name="dgm-gateway", daemon=True)
        self._serving.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.close_connections(CLOSE_WAIT_S)
            if self._serving is not None:
                self._serving.join(CLOSE_WAIT_S)
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)

    @property
    def socket_path(self) -> Path:
        assert self._dir is not None, "gateway not started"
        return self._dir / SOCKET_NAME

    @property
    def channel(self) -> ModelChannel:
        """What an agent's container needs to reach this gateway (its socket folder and model)."""
        assert self._dir is not None, "gateway not started"
        return ModelChannel(str(self._dir), self.model)

    def connection_stats(self) -> dict[str, int]:
        """Connections open now, the most open at once, those closed at once for being over the limit,
        and the errors a handler raised."""
        server = self._server
        assert server is not None, "gateway not started"
        return {"open": server.open_connections, "peak": server.peak_connections,
                "refused": server.refused_connections, "errors": server.errors}

    @contextmanager
    def call_slot(self) -> Iterator[bool]:
        """One of the attempt's `max_concurrent_calls` slots, if one is free (never waits for one)."""
        with self._lock:
            admitted = self.in_flight < self.limits.max_concurrent_calls
            if admitted:
                self.in_flight += 1
        try:
            yield admitted
        finally:
            if admitted:
                with self._lock:
                    self.in_flight -= 1

    def forward(self, body: dict[str, Any]) -> Answer:
        """Forward one well-formed request within the attempt's limits; the answer for the agent."""
        request = {k: v for k, v in body.items() if k in FORWARDED}
        prompt = worst_case_prompt_tokens(request)  # sized once: for our limits and the run's budgets
        reserved = self._reserve(request, prompt)
        if isinstance(reserved, Answer):
            return reserved
        # A call may take long here: retries with backoff, and while the endpoint is down, the whole
        # pause (up to model.max_pause_s). The agent's own HTTP timeout (the seed agent's
        # DGM_MODEL_TIMEOUT, 600 s) may fire first: it then retries, and this call, still running, is
        # finished and recorded but its answer is lost (and each retry counts against max_calls). That
        # is accepted: the agent's container has a wall limit anyway, and the watchdog does not count a
        # pause as a stall. EndpointDown and cancellation answer 503, which the agent retries a few
        # times and then gives up on.
        used = 0
        try:
            response = self.client.complete(self.ctx, self.model, request, prompt)
            used = _used_tokens(response, reserved)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a fixed answer; see upstream_failure
            if not isinstance(exc, (openai.APIError, ModelEndpointError, BudgetExhausted)):
                self.report_error(exc)
            return upstream_failure(exc)
        finally:
            with self._lock:
                self.tokens_reserved -= reserved
                self.tokens += used
        return Answer(200, response)

    def refuse_unread(self, length: int) -> Answer | None:
        """The refusal of a body too long to fit what the attempt has left, whatever it says: over twice
        the bytes the tokens left could cover (room for whitespace and escapes). It is never parsed:
        parsing millions of tiny JSON nodes holds the interpreter for seconds."""
        with self._lock:
            left = self.limits.max_tokens - self.tokens
            if length <= 2 * CHARS_PER_TOKEN_LOWER_BOUND * left + BODY_SLACK:
                return None
            return self._limit_reached(f"a {length:,}-byte request")

    def _limit_reached(self, request: str) -> Answer:
        """The refusal that ends the attempt's model use (`limit_exceeded`); call with the lock held."""
        return refusal(429, f"dgm: attempt limit reached ({self.calls} of {self.limits.max_calls} calls, "
                             f"{self.tokens:,} of {self.limits.max_tokens:,} tokens used; {request} cannot fit)",
                        "limit_exceeded", "limit_exceeded")

    def _reserve(self, request: dict[str, Any], prompt: int) -> int | Answer:
        """Reserve a call and the request's worst-case tokens, clamping the output cap it sets to what
        the attempt has left; the tokens reserved, or the refusal. Without an output cap the client's
        assumed maximum is reserved: inventing a max_tokens would break servers that reject it."""
        asked = requested_output_tokens(request)
        need = prompt + (1 if asked else self.client.assumed_max_output)
        limits = self.limits
        with self._lock:
            unsettled_left = limits.max_tokens - self.tokens  # what is left once the calls in flight end
            left = unsettled_left - self.tokens_reserved
            if self.calls >= limits.max_calls or need > unsettled_left:
                return self._limit_reached(f"this request, which could use {need:,} tokens,")
            if need > left:
                return busy(f"dgm: {self.tokens_reserved:,} tokens are reserved by requests in flight; "
                             f"this request could use {need:,} of the {left:,} left", "tokens_in_flight")
            output = min(asked, left - prompt) if asked else self.client.assumed_max_output
            self.calls += 1
            self.tokens_reserved += prompt + output
        if asked and output < asked:
            for key in OUTPUT_CAPS:
                if key in request and request[key] is not None:
                    request[key] = min(request[key], output)
        return prompt + output

    def report_error(self, exc: BaseException) -> None:
        """An unexpected error while serving the agent: an event (never a traceback on stderr)."""
        try:
            self.client.on_event("gateway_error", {"agent": self.ctx.agent_id, "task": self.ctx.task_id,
                                                   "error": self.client.describe(exc)})
        except Exception:  # noqa: BLE001, S110 - reporting must not raise inside a handler's error path
            pass


def _used_tokens(response: dict[str, Any], reserved: int) -> int:
    """The call's real usage; without one (an endpoint that reports none) the worst case reserved, so
    such an endpoint cannot stretch the limit."""
    usage = response.get("usage")
    try:
        return max(0, int(usage["prompt_tokens"]) + int(usage["completion_tokens"]))  # type: ignore[index]
    except (TypeError, KeyError, ValueError):
        return reserved
