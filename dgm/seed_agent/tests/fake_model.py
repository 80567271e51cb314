"""A tiny fake OpenAI-compatible chat-completions server (stdlib only) for the agent's tests.

It answers from a list, one entry per request in order (the last entry repeats), and records every
request. Entries come from the helpers `reply`, `error` and `slow`.
"""

from __future__ import annotations

import json
import os
import shutil
import socketserver
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = tuple[int, dict[str, Any], float]  # HTTP status, JSON body, seconds to wait first


def reply(content: str | None = None, tool_calls: list[tuple[str, Any]] | None = None) -> Answer:
    """A chat completion; tool_calls are (name, arguments) with arguments a dict or a raw string."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = [
            {"id": f"call_{i}", "type": "function",
             "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)}}
            for i, (name, args) in enumerate(tool_calls)
        ]
    body = {"id": "chatcmpl-fake", "object": "chat.completion", "model": "fake",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
    return 200, body, 0.0


def error(status: int, message: str, kind: str = "server_error", code: str | None = None) -> Answer:
    return status, {"error": {"message": message, "type": kind, "param": None, "code": code}}, 0.0


def slow(answer: Answer, delay: float) -> Answer:
    return answer[0], answer[1], delay


class FakeModel:
    def __init__(self, unix: bool = False) -> None:
        self.unix = unix
        self.answers: list[Answer] = [reply("Done.")]
        self.requests: list[dict[str, Any]] = []  # {"path", "headers", "body"}
        self._lock = threading.Lock()
        self._dir: str | None = None

    def __enter__(self) -> "FakeModel":
        if self.unix:
            self._dir = tempfile.mkdtemp(prefix="fm-", dir="/tmp")  # short: socket paths max ~108 bytes
            self.socket_path = os.path.join(self._dir, "model.sock")
            self.httpd: socketserver.BaseServer = _UnixServer(self.socket_path, _Handler)
        else:
            self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
            self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.httpd.fake = self  # type: ignore[attr-defined]
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)

    def env(self) -> dict[str, str]:
        """The environment that points an agent at this server."""
        if self.unix:
            return {"DGM_MODEL_SOCKET": self.socket_path, "DGM_MODEL": "fake"}
        return {"DGM_MODEL_URL": self.base_url, "DGM_MODEL": "fake"}

    def answer(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> Answer:
        with self._lock:
            index = len(self.requests)
            self.requests.append({"path": path, "headers": headers, "body": body})
            return self.answers[min(index, len(self.answers) - 1)]

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.requests]


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output clean
        pass

    def address_string(self) -> str:
        return "test-client"

    def do_POST(self) -> None:  # noqa: N802
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        fake: FakeModel = self.server.fake  # type: ignore[attr-defined]
        status, body, delay = fake.answer(self.path, dict(self.headers), json.loads(raw or b"{}"))
        time.sleep(delay)
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client gave up (a timeout test)
