"""A scripted model behind the real OpenAI HTTP protocol: the test double for dgm and `--demo`.

Production code talks to it with the `openai` package like to any OpenAI-compatible endpoint and never
knows it is a script, so the request and response handling is exercised for real. The rules live in
`script.py`; this module serves them (stdlib `http.server`, one thread per connection) and keeps the
per-server state: how often each rule answered, the rotation of `replies`, the requests received,
and the injected faults with what was served (`stats()`).

    python -m dgm.models.scripted SCRIPT.toml [--host 127.0.0.1] [--port 8000]
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from dgm.models.script import ErrorReply, Reply, Rule, Script, ToolCall, load_script, message_text

__all__ = ["ScriptedModelServer", "load_script"]
MAX_BODY = 32 * 1024 * 1024
STREAM_PIECE = 16  # characters of content per stream chunk, so clients really have to reassemble
TRUNCATED_CALL = ToolCall("bash", '{"command": ')  # the malformed fault's tool call for a reply without one


class ScriptedModelServer:
    """Serves a script on http://HOST:PORT/v1 from a background thread; use as a context manager."""

    def __init__(self, script: Script | dict[str, Any] | str | Path, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.script = load_script(script)
        self.host, self.port = host, port
        self.requests: list[dict[str, Any]] = []  # each body received, plus "rule": who answered
        self._lock = threading.Lock()
        self._hits: dict[str, int] = {}
        self._ids = itertools.count(1)
        faults = self.script.faults
        self._fault_rng = random.Random(faults.seed if faults else 0)
        self._faults: dict[str, int] = dict.fromkeys(faults.kinds if faults else (), 0)
        self._completions = 0
        self._usage: dict[str, dict[str, int]] = {}
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the scripted model server is not started")
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> ScriptedModelServer:
        if self._httpd is not None:
            raise RuntimeError("the scripted model server is already started")
        self._stopping.clear()
        self._httpd = _HTTPServer((self.host, self.port), _Handler)
        self._httpd.owner = self
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"scripted-model-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop promptly: wakes delayed and hanging handlers and closes kept-alive connections."""
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by its handler
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> ScriptedModelServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def hits(self, rule_name: str) -> int:
        """How many requests this rule answered ("default" for the fallback reply)."""
        with self._lock:
            return self._hits.get(rule_name, 0)

    def stats(self) -> dict[str, Any]:
        """What was served: `faults` {kind: count}, `completions` (200 answers) and `usage_by_model`
        {model: {prompt_tokens, completion_tokens}} summed over those answers."""
        with self._lock:
            return {"faults": dict(self._faults), "completions": self._completions,
                    "usage_by_model": {m: dict(u) for m, u in self._usage.items()}}

    def _draw_fault(self, body: dict[str, Any]) -> str | None:
        """The fault this request gets, if any: one seeded draw per eligible request, in arrival order."""
        faults = self.script.faults
        if faults is None or faults.rate <= 0 or (faults.models and body.get("model") not in faults.models):
            return None
        with self._lock:
            if self._fault_rng.random() >= faults.rate:
                return None
            return self._fault_rng.choice(faults.kinds)

    def _count_fault(self, kind: str, body: dict[str, Any] | None = None) -> None:
        """Count a fault served; `body`: it replaced the answer, so it is recorded here, not by a rule."""
        with self._lock:
            self._faults[kind] += 1
            if body is not None:
                self.requests.append({**body, "rule": "fault", "fault": kind})

    def _served(self, completion: dict[str, Any]) -> None:
        with self._lock:
            self._completions += 1
            usage = self._usage.setdefault(completion["model"], {"prompt_tokens": 0, "completion_tokens": 0})
            for key in usage:
                usage[key] += int(completion["usage"].get(key) or 0)

    def _choose(self, body: dict[str, Any], fault: str | None = None) -> tuple[Rule | None, int]:
        """The first matching rule with `times` left, and its 0-based use count, claimed atomically.
        A `fault` (malformed) is noted on the request when the rule replies, the only case it applies."""
        with self._lock:
            for rule in self.script.rules:
                used = self._hits.get(rule.name, 0)
                if (rule.times is None or used < rule.times) and rule.match.holds(body):
                    self._hits[rule.name] = used + 1
                    noted = {"fault": fault} if fault and rule.replies else {}
                    self.requests.append({**body, "rule": rule.name, **noted})
                    return rule, used
            used = self._hits.get("default", 0)
            self._hits["default"] = used + 1
            self.requests.append({**body, "rule": "default", **({"fault": fault} if fault else {})})
            return None, used

    def _wait(self, rule: Rule) -> bool:
        """Sleep the rule's delay, or forever for a hang rule; True when stop() cut it short."""
        if rule.hang:
            return self._stopping.wait()
        return rule.delay > 0 and self._stopping.wait(rule.delay)

    def _next_id(self) -> int:
        with self._lock:
            return next(self._ids)

    def _track(self, conn: socket.socket, alive: bool) -> None:
        with self._lock:
            (self._connections.add if alive else self._connections.discard)(conn)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() must not wait for a hanging handler
    owner: ScriptedModelServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], OSError):  # a client hanging up is not our error
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real endpoints do; streams use chunked encoding
    disable_nagle_algorithm = True  # headers and body go out in separate writes: avoid a 40 ms stall each
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.owner._track(self.connection, alive=True)

    def finish(self) -> None:
        self.server.owner._track(self.connection, alive=False)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests and the demo would drown in access logs

    def do_GET(self) -> None:
        context_tokens = self.server.owner.script.context_tokens
        if self._route() == "/models":
            models = [{"id": m, "object": "model", "created": 0, "owned_by": "scripted"}
                      for m in self.server.owner.script.models]
            self._send_json(200, {"object": "list", "data": models})
        elif self._route() == "/props" and context_tokens is not None:  # llama.cpp's server's shape
            self._send_json(200, {"default_generation_settings": {"n_ctx": context_tokens, "params": {}},
                                  "total_slots": 1, "model_path": "scripted.gguf"})
        else:
            self._send_error(404, f"no route GET {self.path}", "not_found_error")

    def do_POST(self) -> None:
        if self._route() != "/chat/completions":
            self._drain()
            self._send_error(404, f"no route POST {self.path}", "not_found_error")
            return
        body = self._read_json()
        if body is None:
            return
        owner = self.server.owner
        fault = owner._draw_fault(body)
        if fault in ("429", "500", "timeout"):
            # Instead of the rule's answer, which stays unused: the retried request gets it.
            owner._count_fault(fault, body)
            self._send_fault(fault)
            return
        rule, used = owner._choose(body, fault)
        if rule is not None and owner._wait(rule):
            self.close_connection = True  # stopped while waiting: hang up without an answer
            return
        if rule is not None and rule.error is not None:
            self._send_error(rule.error.status, rule.error.message, rule.error.type, rule.error)
            return
        reply = rule.replies[used % len(rule.replies)] if rule is not None else owner.script.default
        if fault == "malformed":  # a real, billed answer: the rule's answer is used up
            owner._count_fault(fault)
            reply = malformed(reply)
        completion = build_completion(body, reply, owner._next_id)
        owner._served(completion)
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            self._send_stream(stream_chunks(completion, include_usage))
        else:
            self._send_json(200, completion)

    def _send_fault(self, kind: str) -> None:
        if kind == "429":
            self._send_error(429, "scripted fault: rate limited", "rate_limit_error", ErrorReply(429, "", "", retry_after=0))
        elif kind == "500":
            self._send_error(500, "scripted fault: internal server error", "server_error")
        else:  # "timeout": hold the connection, then drop it without an answer
            self.server.owner._stopping.wait(self.server.owner.script.faults.timeout_s)  # type: ignore[union-attr]
            self.close_connection = True

    def _route(self) -> str:
        path = self.path.split("?", 1)[0].rstrip("/")
        return path[3:] if path.startswith("/v1/") else path  # accept base URLs with or without /v1

    def _drain(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _read_json(self) -> dict[str, Any] | None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            self._send_error(413, "request body too large", "invalid_request_error")
            return None
        try:
            body = json.loads(self.rfile.read(length) or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            self._send_error(400, f"request body is not JSON: {exc}", "invalid_request_error")
            return None
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            self._send_error(400, "request body needs a 'messages' list", "invalid_request_error")
            return None
        return body

    def _send_json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_error(self, status: int, message: str, kind: str, error: ErrorReply | None = None) -> None:
        headers = {}
        if error is not None and error.retry_after is not None:
            headers["Retry-After"] = f"{error.retry_after:g}"
        payload = {"message": message, "type": kind, "param": None, "code": error.code if error else None}
        self._send_json(status, {"error": payload}, headers)

    def _send_stream(self, chunks: list[dict[str, Any]]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for event in [f"data: {json.dumps(c)}\n\n" for c in chunks] + ["data: [DONE]\n\n"]:
            data = event.encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.write(b"0\r\n\r\n")


def malformed(reply: Reply) -> Reply:
    """`reply` with its tool calls' arguments cut in half (never valid JSON), or, without tool calls,
    with a truncated `bash` call added."""
    if not reply.tool_calls:
        return replace(reply, tool_calls=(TRUNCATED_CALL,))
    return replace(reply, tool_calls=tuple(replace(c, arguments=_truncated(c.arguments)) for c in reply.tool_calls))


def _truncated(arguments: str) -> str:
    cut = arguments[: len(arguments) // 2]
    try:
        json.loads(cut)
    except ValueError:
        return cut
    return TRUNCATED_CALL.arguments


def build_completion(body: dict[str, Any], reply: Reply, next_id: Callable[[], int]) -> dict[str, Any]:
    """A chat.completion object for `reply`; `next_id()` hands out the unique numbers for ids."""
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.tool_calls:
        message["tool_calls"] = [{"id": f"call_{next_id()}", "type": "function",
                                  "function": {"name": c.name, "arguments": c.arguments}}
                                 for c in reply.tool_calls]
    finish = reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")
    usage = estimate_usage(body, reply)
    cap = output_cap(body)
    if cap is not None and usage["completion_tokens"] > cap:  # a real server stops generating at the cap
        usage = {**usage, "completion_tokens": cap, "total_tokens": usage["prompt_tokens"] + cap}
        finish = "length"
    return {
        "id": f"chatcmpl-scripted-{next_id()}", "object": "chat.completion", "created": int(time.time()),
        "model": body.get("model") or "scripted", "system_fingerprint": None,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": usage,
    }


def output_cap(body: dict[str, Any]) -> int | None:
    """The request's output cap as vLLM reads it: max_completion_tokens, else max_tokens."""
    cap = body.get("max_completion_tokens") or body.get("max_tokens")
    return cap if isinstance(cap, int) and not isinstance(cap, bool) and cap > 0 else None


def estimate_usage(body: dict[str, Any], reply: Reply) -> dict[str, int]:
    """ceil(chars / 4) of the request's messages and of the reply, unless the reply says otherwise."""
    prompt_chars = 0
    for m in body.get("messages") or []:
        if isinstance(m, dict):
            prompt_chars += len(message_text(m)) + sum(
                len(str((c.get("function") or {}).get("arguments", ""))) for c in m.get("tool_calls") or []
                if isinstance(c, dict))
    reply_chars = len(reply.content or "") + sum(len(c.name) + len(c.arguments) for c in reply.tool_calls)
    usage = {"prompt_tokens": math.ceil(prompt_chars / 4), "completion_tokens": math.ceil(reply_chars / 4)}
    usage.update(reply.usage or {})
    usage.setdefault("total_tokens", usage["prompt_tokens"] + usage["completion_tokens"])
    return usage


def stream_chunks(completion: dict[str, Any], include_usage: bool) -> list[dict[str, Any]]:
    """The chat.completion.chunk objects a streaming endpoint would send for `completion`."""
    base = {k: completion[k] for k in ("id", "created", "model", "system_fingerprint")}
    message, finish = completion["choices"][0]["message"], completion["choices"][0]["finish_reason"]

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {**base, "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]}

    chunks = [chunk({"role": "assistant", "content": ""})]
    content = message["content"] or ""
    chunks += [chunk({"content": content[i:i + STREAM_PIECE]}) for i in range(0, len(content), STREAM_PIECE)]
    for index, call in enumerate(message.get("tool_calls", [])):
        fn = call["function"]
        chunks.append(chunk({"tool_calls": [{"index": index, "id": call["id"], "type": "function",
                                             "function": {"name": fn["name"], "arguments": ""}}]}))
        args = fn["arguments"]
        chunks += [chunk({"tool_calls": [{"index": index, "function": {"arguments": args[i:i + STREAM_PIECE]}}]})
                   for i in range(0, len(args), STREAM_PIECE)]
    chunks.append(chunk({}, finish))
    if include_usage:
        chunks.append({**base, "object": "chat.completion.chunk", "choices": [], "usage": completion["usage"]})
    return chunks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dgm.models.scripted",
                                     description="Serve a scripted model over the OpenAI HTTP API.")
    parser.add_argument("script", type=Path, help="the script, a .toml or .json file")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    try:
        server = ScriptedModelServer(args.script, args.host, args.port).start()
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(server.base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
