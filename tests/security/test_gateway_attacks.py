"""Attacks on the model gateway by an adversarial agent, each against a real `Gateway` on its real
Unix socket and a real upstream: the scripted model server, or, where the upstream itself must
misbehave (echo our API key, answer garbage), a small `http.server` here. The last two tests run the
token-overshoot attack and the connection flood from inside a real container, as an agent would."""

from __future__ import annotations

import http.client
import json
import os
import queue
import select
import socket
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import openai
import pytest

from archive_db import Archive
from dgm.config import LimitsConfig, ModelConfig, Price
from dgm.gateway import FORWARDED, Gateway
from dgm.gateway_requests import MAX_BODY
from dgm.model_client import CallContext, ModelClient
from dgm.models.scripted import ScriptedModelServer

API_KEY = "sk-dgm-attack-3b9f1c7e52d4a8f0"
LIMIT = 400_000
HI = [{"role": "user", "content": "hi"}]


# -- a client on the socket, as an agent has one ----------------------------------------------------

class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float = 30) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


def post(gw: Gateway, body: dict[str, Any], headers: dict[str, str] | None = None,
         path: str = "/v1/chat/completions") -> tuple[int, dict[str, Any], http.client.HTTPResponse, bytes]:
    """status, parsed body, the response (for headers) and the raw bytes the agent received."""
    conn = UnixConnection(str(gw.socket_path))
    try:
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json", **(headers or {})})
        resp = conn.getresponse()
        raw = resp.read()
        return resp.status, json.loads(raw), resp, raw
    finally:
        conn.close()


def raw_exchange(gw: Gateway, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are and read one HTTP response."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(str(gw.socket_path))
        sock.sendall(data)
        resp = http.client.HTTPResponse(sock)
        resp.begin()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()


def parallel(n: int, send: Callable[[int], Any]) -> list[Any]:
    """Run send(0..n-1) in n threads released at the same instant; their results in order."""
    barrier, results = threading.Barrier(n), [None] * n

    def one(i: int) -> None:
        barrier.wait()
        results[i] = send(i)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def gateway_threads() -> int:
    return sum(t.name.startswith("dgm-gateway") for t in threading.enumerate())


# -- upstreams --------------------------------------------------------------------------------------

class EchoUpstream:
    """A real HTTP upstream whose answers `reply(headers, body)` decides; it records every request
    (path, headers, body). Used as an endpoint that echoes our Authorization header, as a careless
    proxy might, or that answers garbage."""

    def __init__(self, reply: Callable[[dict[str, str], dict[str, Any]], tuple[int, bytes]]) -> None:
        self.reply = reply
        self.requests: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                headers = {k.lower(): v for k, v in self.headers.items()}
                owner.requests.append((self.path, headers, body))
                status, data = owner.reply(headers, body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> EchoUpstream:
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def completion(content: str, prompt: int = 10, completion_tokens: int = 5) -> bytes:
    return json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "m",
                       "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                    "finish_reason": "stop"}],
                       "usage": {"prompt_tokens": prompt, "completion_tokens": completion_tokens,
                                 "total_tokens": prompt + completion_tokens}}).encode()


def echo_error(status: int, message: str) -> Callable[[dict[str, str], dict[str, Any]], tuple[int, bytes]]:
    """An upstream error whose text quotes the request's Authorization header."""
    def reply(headers: dict[str, str], body: dict[str, Any]) -> tuple[int, bytes]:
        text = f"{message} (you sent Authorization: {headers.get('authorization')})"
        return status, json.dumps({"error": {"message": text, "type": "error", "code": None}}).encode()
    return reply


# -- fixtures ---------------------------------------------------------------------------------------

@pytest.fixture()
def archive(tmp_path) -> Iterator[Archive]:
    a = Archive.in_dir(tmp_path)
    a.run_id = a.create_run("attacks", "{}", "0").id  # type: ignore[attr-defined]
    yield a
    a.close()


@pytest.fixture()
def scripted() -> Iterator[Callable[[dict[str, Any]], ScriptedModelServer]]:
    servers: list[ScriptedModelServer] = []

    def start(script: dict[str, Any]) -> ScriptedModelServer:
        servers.append(ScriptedModelServer(script).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def make_client(base_url: str, archive: Archive, events: list[tuple[str, dict]] | None = None,
                **config: Any) -> ModelClient:
    """No retries and a short pause: a failing upstream counts as down at once and gives up fast."""
    options = {"max_retries": 0, "pause_probe_s": 0.05, "max_pause_s": 0.3, "request_timeout_s": 10.0, **config}
    cfg = ModelConfig(base_url=base_url, agent_model="m", prices={"m": Price(input=2.0, output=10.0)}, **options)
    client = ModelClient(cfg, API_KEY, archive)
    if events is not None:
        client.on_event = lambda kind, data: events.append((kind, data))
    return client


def gateway(client: ModelClient, archive: Archive, **limits: Any) -> Gateway:
    return Gateway(client, CallContext(archive.run_id, None, "task-1", "solve"), "m", LimitsConfig(**limits))


def recorded_tokens(archive: Archive) -> int:
    return sum(c.prompt_tokens + c.completion_tokens for c in archive.calls())


def answered_calls(archive: Archive) -> int:
    return sum(c.error is None for c in archive.calls())


# For bursts of parallel upstream calls: the scripted server's listen backlog may drop a connection
# now and then; production retries those too.
BURST = {"max_retries": 3, "retry_base_s": 0.01}


def watch_reservations(client: ModelClient, gw: Gateway) -> list[int]:
    """At every upstream try (while its reservation is held), what the attempt has used plus reserved."""
    seen: list[int] = []
    client.on_call = lambda ctx: seen.append(gw.tokens + gw.tokens_reserved)
    return seen


# -- 1. the token and call limits are reservations --------------------------------------------------

def test_80_parallel_requests_cannot_overshoot_the_token_limit(scripted, archive):
    # Each answer bills 15,000 completion tokens, within the 16,384 reserved for a request that sets
    # no output cap. Before the fix 60 answers (the call limit) were served: 900,000 tokens.
    upstream = scripted({"rule": [{"name": "big", "delay": 0.2, "reply": {"content": "x", "usage": {"completion_tokens": 15_000}}}]})
    client = make_client(upstream.base_url, archive, **BURST)
    with gateway(client, archive, max_tokens=LIMIT, max_calls=60, max_concurrent_calls=80,
                 max_connections=80) as gw:
        seen = watch_reservations(client, gw)
        answers = parallel(80, lambda i: post(gw, {"messages": [{"role": "user", "content": f"attack {i}"}]})[:2])
        assert (gw.tokens_reserved, gw.in_flight) == (0, 0)
        assert gw.tokens == recorded_tokens(archive)
    served = [body for status, body in answers if status == 200]
    refused = [body["error"] for status, body in answers if status != 200]
    assert 0 < len(served) <= LIMIT // 15_000
    assert recorded_tokens(archive) <= LIMIT and max(seen) <= LIMIT
    assert len(served) == upstream.stats()["completions"] == answered_calls(archive)  # the refused were never sent
    assert len(refused) == 80 - len(served)
    assert all(e["type"] in ("limit_exceeded", "rate_limit_error") for e in refused)


def test_huge_output_caps_are_clamped_so_the_reservation_bounds_the_output(scripted, archive):
    # The audit's attack: max_tokens far past the limit and answers billing 49,000 completion tokens
    # each (a real server stops at the cap it is sent, and so does the scripted one).
    upstream = scripted({"rule": [{"name": "big", "delay": 0.2, "reply": {"content": "x", "usage": {"completion_tokens": 49_000}}}]})
    client = make_client(upstream.base_url, archive, **BURST)
    with gateway(client, archive, max_tokens=LIMIT, max_calls=60, max_concurrent_calls=80,
                 max_connections=80) as gw:
        seen = watch_reservations(client, gw)
        answers = parallel(80, lambda i: post(gw, {"messages": [{"role": "user", "content": f"attack {i}"}],
                                                   "max_tokens": 10**9, "max_completion_tokens": 10**9})[:2])
    statuses = [status for status, _ in answers]
    forwarded = [r for r in upstream.requests if r["rule"] == "big"]
    assert statuses.count(200) == len(forwarded) == answered_calls(archive) > 0 and set(statuses) <= {200, 429}
    assert all(r["max_tokens"] == r["max_completion_tokens"] < LIMIT for r in forwarded)
    assert recorded_tokens(archive) <= LIMIT and max(seen) <= LIMIT


def send_unread(gw: Gateway, body: bytes) -> tuple[int, dict[str, Any]]:
    """POST a body the gateway may refuse before parsing it, tolerating a hang-up while sending."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(str(gw.socket_path))
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body))
        try:
            sock.sendall(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before all of it was read
        resp = http.client.HTTPResponse(sock)
        resp.begin()
        return resp.status, json.loads(resp.read())


@pytest.mark.parametrize("size", [MAX_BODY - 1024, 2 * 1024 * 1024, 900 * 1024])
def test_a_request_too_large_for_the_limit_is_refused_before_it_reaches_the_upstream(scripted, archive, size):
    # Before the fix one 8 MiB request was billed 2.1 M tokens against a 400,000 limit. Past twice
    # the bytes the tokens left could cover, a body is refused unread; below, once sized.
    upstream = scripted({"rule": [{"name": "any", "reply": {"content": "x"}}]})
    body = json.dumps({"messages": [{"role": "user", "content": "x" * size}]}).encode()
    with gateway(make_client(upstream.base_url, archive), archive, max_tokens=LIMIT) as gw:
        status, answer = send_unread(gw, body)
        assert gw.calls == 0 and gw.tokens_reserved == 0
    assert (status, answer["error"]["type"]) == (429, "limit_exceeded")
    assert upstream.requests == [] and archive.calls() == []


def test_calls_in_flight_count_against_max_calls(scripted, archive):
    upstream = scripted({"rule": [{"name": "slow", "delay": 0.2, "reply": {"content": "x"}}]})
    with gateway(make_client(upstream.base_url, archive, **BURST), archive, max_calls=5, max_concurrent_calls=30,
                 max_connections=30) as gw:
        statuses = parallel(30, lambda i: post(gw, {"messages": HI})[0])
    assert statuses.count(200) == 5 == len(upstream.requests)
    assert statuses.count(429) == 25


# -- 2. bounded concurrency, connections and read time ----------------------------------------------

def test_requests_past_max_concurrent_calls_get_a_429_with_retry_after_at_once(scripted, archive):
    # Four requests hang upstream and hold the four slots for good, whatever the arrival order; every
    # other request must be answered at once instead of waiting for a slot.
    upstream = scripted({"rule": [{"name": "hang", "hang": True}]})
    answers: queue.Queue = queue.Queue()

    def send(i: int) -> None:
        start = time.monotonic()
        status, body, resp, _ = post(gw, {"messages": HI})
        answers.put((status, body, resp.getheader("Retry-After"), time.monotonic() - start))

    with gateway(make_client(upstream.base_url, archive, **BURST), archive, max_concurrent_calls=4,
                 max_connections=30) as gw:
        threads = [threading.Thread(target=send, args=(i,)) for i in range(20)]
        for t in threads:
            t.start()
        refused = [answers.get(timeout=20) for _ in range(16)]
        assert gw.in_flight == 4 and len(upstream.requests) == 4
        upstream.stop()  # the hanging four end (the endpoint is down, then given up on)
        for t in threads:
            t.join(30)
    for status, body, retry_after, elapsed in refused:
        assert (status, body["error"]["type"], body["error"]["code"]) == (429, "rate_limit_error", "concurrent_calls")
        assert retry_after == "1" and elapsed < 5
    assert len(upstream.requests) == 4


def test_a_connection_flood_gets_no_thread_per_connection(scripted, archive):
    upstream = scripted({"rule": [{"name": "ok", "reply": {"content": "still here"}}]})
    baseline = threading.active_count()
    limits = LimitsConfig()
    with gateway(make_client(upstream.base_url, archive), archive) as gw:
        flood = []
        for _ in range(3000):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(str(gw.socket_path))
            flood.append(sock)
        threads_during_flood = threading.active_count()
        hung_up = _count_hung_up(flood, want=3000 - limits.max_connections)
        stats = gw.connection_stats()
        for sock in flood:
            sock.close()
        status, body = _post_retrying(gw)
    print(f"flood: {threads_during_flood - baseline} threads over a baseline of {baseline} with 3,000 connections "
          f"open; {hung_up} closed at once; {stats}")
    assert threads_during_flood <= baseline + limits.max_connections + 3  # + the accept loop, + slack
    assert hung_up >= 3000 - limits.max_connections
    assert stats["peak"] <= limits.max_connections and stats["refused"] >= 3000 - limits.max_connections
    assert status == 200 and body["choices"][0]["message"]["content"] == "still here"
    assert gateway_threads() == 0  # the gateway's exit ended its threads


def _count_hung_up(socks: list[socket.socket], want: int, within_s: float = 20.0) -> int:
    """How many of `socks` the server turned away (a 503, then EOF), waiting until `want` are or time is up."""
    poller = select.poll()
    by_fd = {s.fileno(): s for s in socks}
    for fd in by_fd:
        poller.register(fd, select.POLLIN | select.POLLHUP)
    hung_up, deadline = 0, time.monotonic() + within_s
    while hung_up < want and time.monotonic() < deadline:
        for fd, _ in poller.poll(200):
            poller.unregister(fd)
            told = by_fd[fd].recv(4096)
            if told.startswith(b"HTTP/1.1 503 ") and b"Retry-After: 1" in told and by_fd[fd].recv(1) == b"":
                hung_up += 1
    return hung_up


def _post_retrying(gw: Gateway, tries: int = 500) -> tuple[int, dict[str, Any]]:
    """A request, retried while the gateway still turns new connections away (a 503, or a hang-up
    before the client read it): the threads of the connections just closed end on their own schedule."""
    for _ in range(tries - 1):
        try:
            status, body = post(gw, {"messages": HI})[:2]
        except (OSError, http.client.HTTPException):
            continue
        if (status, body["error"]["code"] if status == 503 else None) != (503, "connections"):
            return status, body
    return post(gw, {"messages": HI})[:2]


@pytest.mark.parametrize("phase", ["headers", "body"])
def test_a_slowloris_is_cut_at_the_read_deadline(scripted, archive, phase):
    upstream = scripted({"rule": [{"name": "ok", "reply": {"content": "x"}}]})
    body = json.dumps({"messages": HI}).encode()
    head = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)
    with gateway(make_client(upstream.base_url, archive), archive, request_read_timeout_s=1.0) as gw:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(str(gw.socket_path))
            if phase == "body":
                sock.sendall(head)
            trickle = head if phase == "headers" else body
            start, sent = time.monotonic(), 0
            # One byte each 0.2 s: every read gets a byte long before any socket timeout would fire.
            while sent < len(trickle) and not select.select([sock], [], [], 0.2)[0]:
                try:
                    sock.sendall(trickle[sent:sent + 1])
                except (BrokenPipeError, ConnectionResetError):
                    break  # cut between our select and our send
                sent += 1
            answer = _read_to_eof(sock)
            cut_after = time.monotonic() - start
        assert gw.connection_stats()["open"] == 0
    assert 0.9 <= cut_after < 3.0 and sent < len(trickle)
    assert answer == b"" if phase == "headers" else answer.startswith(b"HTTP/1.1 408 ")
    assert upstream.requests == []


def test_a_client_still_sending_when_its_connection_is_closed_reads_the_answer_then_an_end_of_file(scripted, archive):
    # The refused request is followed by bytes the gateway never reads. Closed with them unread, a
    # Unix socket's client would get ECONNRESET after the answer instead of a clean end of file.
    upstream = scripted({"rule": [{"name": "ok", "reply": {"content": "x"}}]})
    with gateway(make_client(upstream.base_url, archive), archive) as gw:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(str(gw.socket_path))
            sock.sendall(b"POST /v1/nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n" + b"more" * 4096)
            answer = _read_to_eof(sock)
    assert answer.startswith(b"HTTP/1.1 404 ") and b"Connection: close" in answer
    assert upstream.requests == []


def _read_to_eof(sock: socket.socket) -> bytes:
    sock.settimeout(10)
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_an_idle_keep_alive_connection_is_closed_after_the_read_deadline(scripted, archive):
    upstream = scripted({"rule": [{"name": "ok", "reply": {"content": "x"}}]})
    with gateway(make_client(upstream.base_url, archive), archive, request_read_timeout_s=1.0) as gw:
        conn = UnixConnection(str(gw.socket_path), timeout=10)
        conn.request("POST", "/v1/chat/completions", json.dumps({"messages": HI}))
        resp = conn.getresponse()
        assert resp.status == 200 and resp.getheader("Connection") != "close"
        resp.read()
        idle_since = time.monotonic()
        assert conn.sock.recv(1) == b""  # blocks until the gateway hangs up
        idle = time.monotonic() - idle_since
        conn.close()
    assert 0.8 <= idle < 3.0


# -- 3. malformed requests: a JSON 4xx, never a traceback -------------------------------------------

def _req(body: bytes, headers: str | None = None) -> bytes:
    head = headers if headers is not None else f"Content-Length: {len(body)}\r\n"
    return b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + head.encode() + b"\r\n" + body


NESTED_DEEP = b'{"messages": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
NESTED_100 = b'{"messages": [{"role": "user", "content": "x", "extra": ' + b"[" * 100 + b"]" * 100 + b"}]}"
MALFORMED = {
    "content-length-abc": (_req(b"{}", "Content-Length: abc\r\n"), 400),
    "content-length-negative": (_req(b"{}", "Content-Length: -5\r\n"), 400),
    "content-length-plus": (_req(b"{}", "Content-Length: +2\r\n"), 400),
    "content-length-conflicting": (_req(b"{}", "Content-Length: 2\r\nContent-Length: 3\r\n"), 400),
    "content-length-huge-number": (_req(b"{}", "Content-Length: " + "9" * 400 + "\r\n"), 413),
    "content-length-zero": (_req(b"", "Content-Length: 0\r\n"), 400),
    "content-length-missing": (_req(b"", ""), 411),
    "chunked": (_req(b"2\r\n{}\r\n0\r\n\r\n", "Transfer-Encoding: chunked\r\n"), 411),
    "chunked-and-length": (_req(b"{}", "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n"), 411),
    "not-json": (_req(b"hello there"), 400),
    "invalid-utf8": (_req(b'{"messages": [{"role": "user", "content": "\xff\xfe"}]}'), 400),
    "lone-surrogate": (_req(b'{"messages": [{"role": "user", "content": "\\ud800"}]}'), 400),
    "nan": (_req(b'{"messages": [{"role": "user", "content": "x"}], "temperature": NaN}'), 400),
    "nested-100000": (_req(NESTED_DEEP), 400),
    "nested-100": (_req(NESTED_100), 400),
    "json-array": (_req(b"[1, 2]"), 400),
    "json-string": (_req(b'"messages"'), 400),
    "no-messages": (_req(b'{"model": "m"}'), 400),
    "messages-string": (_req(b'{"messages": "hi"}'), 400),
    "messages-of-numbers": (_req(b'{"messages": [1, 2]}'), 400),
    "messages-empty": (_req(b'{"messages": []}'), 400),
    "tools-string": (_req(b'{"messages": [{"role": "user", "content": "x"}], "tools": "all"}'), 400),
    "max-tokens-string": (_req(b'{"messages": [{"role": "user", "content": "x"}], "max_tokens": "lots"}'), 400),
    "max-tokens-negative": (_req(b'{"messages": [{"role": "user", "content": "x"}], "max_tokens": -1}'), 400),
    "max-tokens-float": (_req(b'{"messages": [{"role": "user", "content": "x"}], "max_tokens": 1.5}'), 400),
    "max-tokens-bool": (_req(b'{"messages": [{"role": "user", "content": "x"}], "max_completion_tokens": true}'), 400),
    "garbled-request-line": (b"HELLO\r\n\r\n", 400),
    "bad-version": (b"POST /v1/chat/completions HTTP/9.9\r\n\r\n", 505),
    "header-line-too-long": (b"POST /v1/chat/completions HTTP/1.1\r\nX: " + b"a" * 70_000 + b"\r\n\r\n", 431),
    "too-many-headers": (b"POST /v1/chat/completions HTTP/1.1\r\n" + b"X: y\r\n" * 200 + b"\r\n", 431),
    "unknown-method": (b"DELETE /v1/chat/completions HTTP/1.1\r\nHost: x\r\n\r\n", 501),
    "unknown-route": (b"POST /v1/embeddings HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", 404),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_request_gets_a_json_4xx_and_no_traceback(scripted, archive, capfd, case):
    data, expected = MALFORMED[case]
    upstream = scripted({"rule": [{"name": "ok", "reply": {"content": "x"}}]})
    with gateway(make_client(upstream.base_url, archive), archive) as gw:
        status, headers, raw = raw_exchange(gw, data)
        healthy = post(gw, {"messages": HI})[0]  # and the gateway serves the next request
        stats = gw.connection_stats()
    assert status == expected and headers["content-type"] == "application/json"
    assert json.loads(raw)["error"]["type"] in ("invalid_request_error", "not_found")
    assert healthy == 200 and stats["errors"] == 0
    assert len(upstream.requests) == 1  # only the healthy one
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err and "Error" not in err


def test_a_body_cut_short_closes_the_connection_without_a_traceback(scripted, archive, capfd):
    upstream = scripted({"rule": [{"name": "ok", "reply": {"content": "x"}}]})
    with gateway(make_client(upstream.base_url, archive), archive) as gw:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(str(gw.socket_path))
            sock.sendall(_req(b'{"messages": [', "Content-Length: 1000\r\n"))
            sock.shutdown(socket.SHUT_WR)  # the agent hangs up mid-body
            answer = _read_to_eof(sock)
        assert gw.connection_stats()["open"] == 0 and gw.in_flight == 0
    assert answer == b"" and upstream.requests == []
    assert "Traceback" not in "".join(capfd.readouterr())


def test_an_unexpected_error_is_a_normalised_500_and_an_event_not_a_traceback(archive, capfd):
    # An upstream answering 200 with a body that is not JSON makes the `openai` package raise a bare
    # JSONDecodeError: no error class the gateway expects.
    events: list[tuple[str, dict]] = []
    with EchoUpstream(lambda headers, body: (200, b"this is not json " + API_KEY.encode())) as upstream:
        with gateway(make_client(upstream.base_url, archive, events), archive) as gw:
            status, body, _, raw = post(gw, {"messages": HI})
            assert (gw.tokens_reserved, gw.in_flight, gw.calls) == (0, 0, 1)
    assert status == 500 and body["error"] == {"message": "the gateway failed on this request",
                                               "type": "internal_error", "code": "internal_error"}
    [(kind, event)] = events
    assert kind == "gateway_error" and "JSONDecodeError" in event["error"]
    assert API_KEY.encode() not in raw
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err


# -- 4. upstream errors are normalised, the key redacted ----------------------------------------------

ECHOES = {  # upstream status and text -> (status, type, code) the agent gets
    "401": ((401, "invalid api key"), (401, "upstream_auth_error", "upstream_401")),
    "403": ((403, "forbidden"), (403, "upstream_auth_error", "upstream_403")),
    "400": ((400, "bad parameter"), (400, "invalid_request_error", "upstream_400")),
    "404": ((404, "no such model"), (404, "not_found_error", "upstream_404")),
    "overflow": ((400, "This model's maximum context length is 8192 tokens"),
                 (400, "invalid_request_error", "context_length_exceeded")),
    "429": ((429, "slow down"), (503, "endpoint_down", "endpoint_down")),
    "500": ((500, "internal error"), (503, "endpoint_down", "endpoint_down")),
}


@pytest.mark.parametrize("case", ECHOES)
def test_an_upstream_error_echoing_the_key_reaches_neither_the_agent_nor_the_archive(archive, capfd, case):
    (upstream_status, text), expected = ECHOES[case]
    events: list[tuple[str, dict]] = []
    with EchoUpstream(echo_error(upstream_status, text)) as upstream:
        with gateway(make_client(upstream.base_url, archive, events), archive) as gw:
            status, body, _, raw = post(gw, {"messages": HI})
    assert upstream.requests[0][1]["authorization"] == f"Bearer {API_KEY}"  # the echo did carry the key
    assert (status, body["error"]["type"], body["error"]["code"]) == expected
    assert API_KEY.encode() not in raw and text not in body["error"]["message"]  # a fixed text, none of theirs
    errors = [c.error or "" for c in archive.calls()]
    assert errors and all("[redacted]" in e and API_KEY not in e for e in errors)
    assert API_KEY not in json.dumps(events)
    assert all("[redacted]" in data["error"] for kind, data in events if "error" in data)
    out, err = capfd.readouterr()
    assert API_KEY not in out + err


def test_the_key_is_scrubbed_from_the_error_the_host_raises(archive):
    with EchoUpstream(echo_error(401, "invalid api key")) as upstream:
        client = make_client(upstream.base_url, archive)
        with pytest.raises(openai.AuthenticationError) as raised:
            client.chat(CallContext(archive.run_id, None, None, "diagnose"), "m", messages=HI)
    exc = raised.value
    assert API_KEY not in str(exc) + exc.message + json.dumps(exc.body) and "[redacted]" in str(exc)


def test_no_part_of_the_key_survives_where_a_recorded_error_is_cut(archive):
    # An upstream that quotes the request, then our header: padding its message, an agent can place
    # the key across the 2,000 characters a recorded error keeps.
    def reply(headers: dict[str, str], body: dict[str, Any]) -> tuple[int, bytes]:
        text = f"bad content {body['messages'][0]['content']} with Authorization: {headers['authorization']}"
        return 401, json.dumps({"error": {"message": text, "type": "error"}}).encode()

    with EchoUpstream(reply) as upstream:
        with gateway(make_client(upstream.base_url, archive), archive, max_calls=200) as gw:
            for pad in range(1850, 2000, 2):
                assert post(gw, {"messages": [{"role": "user", "content": "p" * pad}]})[0] == 401
    errors = [c.error or "" for c in archive.calls()]
    assert len(errors) == 75 and any("[redacted]" in e for e in errors)  # the short paddings keep it whole
    assert not any(API_KEY[:8] in e for e in errors)  # not even a prefix of it at the cut


def test_an_answer_carrying_the_key_is_redacted_before_the_agent_sees_it(archive):
    with EchoUpstream(lambda headers, body: (200, completion(f"your key is {headers['authorization']}"))) as upstream:
        with gateway(make_client(upstream.base_url, archive), archive) as gw:
            status, body, _, raw = post(gw, {"messages": HI})
    assert status == 200 and API_KEY.encode() not in raw
    assert body["choices"][0]["message"]["content"] == "your key is Bearer [redacted]"


# -- 5. what was contained stays contained ----------------------------------------------------------

def test_the_agent_cannot_choose_the_model_stream_endpoint_or_credentials(archive):
    overrides = {"model": "gpt-4-32k-pricey", "stream": True, "stream_options": {"include_usage": True}, "n": 64,
                 "base_url": "http://attacker.example/v1", "api_base": "http://attacker.example", "api_key": "sk-mine",
                 "extra_headers": {"X-Evil": "1"}, "extra_body": {"model": "pricey"}, "extra_query": {"a": "b"},
                 "user": "root", "logprobs": True, "top_logprobs": 20, "timeout": 99999, "functions": [{"name": "f"}]}
    with EchoUpstream(lambda headers, body: (200, completion("ok"))) as upstream:
        with gateway(make_client(upstream.base_url, archive), archive) as gw:
            status, body, _, _ = post(gw, {"messages": HI, "temperature": 0.5, **overrides},
                                      {"Authorization": "Bearer sk-mine", "OpenAI-Organization": "org-evil",
                                       "X-Evil": "1", "Host": "attacker.example"},
                                      path="/v1/chat/completions?api-version=evil&model=pricey")
    assert status == 200 and body["choices"][0]["message"]["content"] == "ok"
    [(path, headers, sent)] = upstream.requests
    assert path == "/v1/chat/completions" and headers["authorization"] == f"Bearer {API_KEY}"
    assert "openai-organization" not in headers and "x-evil" not in headers and headers["host"].startswith("127.0.0.1")
    assert sent["model"] == "m" and sent.get("stream") in (None, False) and sent["temperature"] == 0.5
    assert set(sent) <= FORWARDED | {"model", "stream"}


def test_a_200_mb_body_is_refused_unread_and_the_connection_closed(scripted, archive):
    upstream = scripted({"rule": [{"name": "ok", "reply": {"content": "x"}}]})
    size = 200 * 1024 * 1024
    with gateway(make_client(upstream.base_url, archive), archive) as gw:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(10)
            sock.connect(str(gw.socket_path))
            # Only the headers: a gateway that waited to read 200 MB would never answer.
            sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % size)
            answer = _read_to_eof(sock)  # the answer, then the gateway hangs up
            with pytest.raises((BrokenPipeError, ConnectionResetError)):
                for _ in range(size // (1024 * 1024)):
                    sock.sendall(b"x" * (1024 * 1024))
        assert gw.connection_stats()["open"] == 0
    status_line, _, payload = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 413 ") and b"Connection: close" in payload
    assert json.loads(payload.split(b"\r\n\r\n", 1)[1])["error"]["type"] == "invalid_request_error"
    assert upstream.requests == []


def test_1000_requests_in_a_row_keep_every_limit_and_leave_the_process_healthy(scripted, archive, capfd):
    upstream = scripted({"rule": [{"name": "ok", "reply": {"content": "x", "usage": {"prompt_tokens": 100, "completion_tokens": 400}}}]})
    threads, fds = threading.active_count(), open_fds()
    start = time.monotonic()
    with gateway(make_client(upstream.base_url, archive), archive, max_calls=50) as gw:
        statuses = [post(gw, {"messages": [{"role": "user", "content": f"request {i}"}]})[0] for i in range(1000)]
        state = (gw.calls, gw.tokens, gw.tokens_reserved, gw.in_flight)
        stats = gw.connection_stats()
        assert post(gw, {"messages": HI})[1]["error"]["type"] == "limit_exceeded"  # still answering
    elapsed = time.monotonic() - start
    assert "Traceback" not in "".join(capfd.readouterr())
    print(f"1,000 requests in {elapsed:.1f} s; {stats}; threads {threads} -> {threading.active_count()}, "
          f"fds {fds} -> {open_fds()}")
    assert statuses[:50] == [200] * 50 and statuses[50:] == [429] * 950
    assert state == (50, 50 * 500, 0, 0) and recorded_tokens(archive) == 50 * 500
    assert len(upstream.requests) == 50 and stats["errors"] == 0 and stats["peak"] <= LimitsConfig().max_connections
    # No thread or socket left behind: the client's one pooled upstream connection (a socket at each
    # end, both in this process, and the scripted server's thread for it) is all that stays.
    assert gateway_threads() == 0 and threading.active_count() <= threads + 1 and open_fds() <= fds + 2


# -- the same attacks from inside a container -------------------------------------------------------

AGENT_PRELUDE = textwrap.dedent('''
    import argparse, http.client, json, os, resource, select, socket, threading, time
    p = argparse.ArgumentParser()
    for flag in ("--problem-file", "--repo", "--outdir", "--max-steps"):
        p.add_argument(flag)
    args = p.parse_args()
    PATH = os.environ["DGM_MODEL_SOCKET"]

    class Unix(http.client.HTTPConnection):
        def connect(self):
            self.sock = socket.socket(socket.AF_UNIX)
            self.sock.settimeout(60)
            self.sock.connect(PATH)

    def post(body):
        conn = Unix("localhost", timeout=60)
        try:
            conn.request("POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json"})
            resp = conn.getresponse()
            return resp.status, json.loads(resp.read())
        finally:
            conn.close()

    def report(data):
        with open(os.path.join(args.outdir, "transcript.json"), "w") as out:
            json.dump([{"role": "report", "content": json.dumps(data)}], out)
''')

TOKEN_ATTACK = AGENT_PRELUDE + textwrap.dedent('''
    barrier, results = threading.Barrier(80), []
    def one(i):
        barrier.wait()
        status, body = post({"model": "gpt-4-32k-pricey", "max_tokens": 50000,
                             "messages": [{"role": "user", "content": f"attack {i}"}]})
        results.append([status, (body.get("error") or {}).get("type"), (body.get("usage") or {}).get("total_tokens", 0)])
    threads = [threading.Thread(target=one, args=(i,)) for i in range(80)]
    for t in threads: t.start()
    for t in threads: t.join()
    report({"results": results})
''')

CONNECTION_FLOOD = AGENT_PRELUDE + textwrap.dedent('''
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    socks = []
    for _ in range(3000):
        s = socket.socket(socket.AF_UNIX)
        s.connect(PATH)
        socks.append(s)
    poller, by_fd, closed = select.poll(), {s.fileno(): s for s in socks}, 0
    for fd in by_fd: poller.register(fd, select.POLLIN | select.POLLHUP)
    deadline = time.monotonic() + 20
    while closed < 3000 - 16 and time.monotonic() < deadline:
        for fd, _ in poller.poll(200):
            poller.unregister(fd)
            told = by_fd[fd].recv(4096)  # a 503 and Retry-After, then the end
            closed += told.startswith(b"HTTP/1.1 503 ") and by_fd[fd].recv(1) == b""
    for s in socks: s.close()
    status, tries = None, 0
    while status in (None, 503) and tries < 500:  # the held connections' threads end on their own schedule
        tries += 1
        try:
            status, body = post({"messages": [{"role": "user", "content": "still there?"}]})
        except (OSError, http.client.HTTPException):
            status = None
    report({"opened": len(socks), "closed_by_gateway": closed, "status_after": status, "tries": tries})
''')


def run_in_container(sandbox, tmp_path, gw: Gateway, upstream_url: str, agent_code: str) -> dict[str, Any]:
    from benchmarks.task import load_suite
    from dgm.agent_run import run_agent
    from dgm.config import RunConfig

    task = load_suite("builtin")[0]
    agent_dir = tmp_path / "agent"
    agent_dir.mkdir()
    (agent_dir / "coding_agent.py").write_text(agent_code)
    config = RunConfig(model=ModelConfig(base_url=upstream_url, agent_model="m", max_retries=0))
    outcome = run_agent(sandbox, config, agent_dir, task.repo_dir, task.problem, gw.channel, tmp_path / "work")
    assert outcome.run.ok, outcome.run.output[-3000:]
    return json.loads(outcome.transcript[0]["content"])


@pytest.mark.docker
def test_in_a_container_80_parallel_requests_cannot_overshoot_the_token_limit(sandbox, scripted, archive, tmp_path):
    upstream = scripted({"rule": [{"name": "big", "delay": 0.2, "reply": {"content": "x", "usage": {"completion_tokens": 49_000}}}]})
    client = make_client(upstream.base_url, archive, **BURST)
    with gateway(client, archive, max_tokens=LIMIT, max_calls=60, max_concurrent_calls=80,
                 max_connections=80) as gw:
        seen = watch_reservations(client, gw)
        report = run_in_container(sandbox, tmp_path, gw, upstream.base_url, TOKEN_ATTACK)
    results = report["results"]
    served = [r for r in results if r[0] == 200]
    print(f"in a container: {len(served)} of 80 served, {recorded_tokens(archive):,} tokens recorded "
          f"against a limit of {LIMIT:,}")
    assert len(results) == 80 and 0 < len(served) == answered_calls(archive) == upstream.stats()["completions"]
    assert all(r[0] == 429 and r[1] in ("limit_exceeded", "rate_limit_error") for r in results if r[0] != 200)
    assert sum(r[2] for r in served) == recorded_tokens(archive) <= LIMIT and max(seen) <= LIMIT
    assert {r["model"] for r in upstream.requests} == {"m"} and all(r["max_tokens"] <= 50_000 for r in upstream.requests)


@pytest.mark.docker
def test_in_a_container_a_connection_flood_gets_no_thread_per_connection(sandbox, scripted, archive, tmp_path):
    upstream = scripted({"rule": [{"name": "ok", "reply": {"content": "still here"}}]})
    limits = LimitsConfig()
    baseline, peak_threads, done = threading.active_count(), [0], threading.Event()

    def sample() -> None:  # a measurement, not a synchronisation: the gateway's own counters decide
        while not done.wait(0.005):
            peak_threads[0] = max(peak_threads[0], threading.active_count())

    sampler = threading.Thread(target=sample)
    with gateway(make_client(upstream.base_url, archive), archive) as gw:
        sampler.start()
        try:
            report = run_in_container(sandbox, tmp_path, gw, upstream.base_url, CONNECTION_FLOOD)
        finally:
            done.set()
            sampler.join()
        stats = gw.connection_stats()
    print(f"in a container: {report}; gateway {stats}; at most {peak_threads[0] - baseline} threads over a "
          f"baseline of {baseline}")
    assert report["opened"] == 3000 and report["closed_by_gateway"] >= 3000 - limits.max_connections
    assert stats["peak"] <= limits.max_connections and stats["refused"] >= 3000 - limits.max_connections
    assert peak_threads[0] <= baseline + limits.max_connections + 8  # + the accept loop, the sampler, docker's
    assert report["status_after"] == 200 and stats["errors"] == 0
