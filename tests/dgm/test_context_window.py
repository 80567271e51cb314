"""The diagnosis model's context window: configured, asked of a real HTTP server in the shapes
llama.cpp, vLLM and LM Studio answer, or assumed."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from dgm.config import ModelConfig
from dgm.context_window import ASSUMED, CONFIGURED, CONTEXT_TOKENS_ASSUMED, ContextWindow, context_window
from dgm.models.scripted import ScriptedModelServer


@contextmanager
def serving(routes: dict[str, Any]) -> Iterator[tuple[str, list[tuple[str, str | None]]]]:
    """A server answering GET ``routes`` (path -> JSON) and 404 elsewhere; yields its base URL (with
    /v1) and the (path, Authorization) of each request."""
    seen: list[tuple[str, str | None]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            seen.append((self.path, self.headers.get("Authorization")))
            found = self.path in routes
            data = json.dumps(routes[self.path] if found else {"error": "not found"}).encode()
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", seen
    finally:
        server.shutdown()
        server.server_close()


def window(base_url: str, api_key: str | None = None, **model: Any) -> ContextWindow:
    return context_window(ModelConfig(base_url=base_url, diagnosis_model="diag", **model), api_key)


def test_the_scripted_server_answers_props_as_llama_cpp_does():
    with ScriptedModelServer({"context_tokens": 8192, "models": ["diag"]}) as server:
        assert window(server.base_url) == ContextWindow(8192, "llama.cpp /props")
        assert window(server.base_url.removesuffix("/v1")) == ContextWindow(8192, "llama.cpp /props")  # a base without /v1
    with ScriptedModelServer({"models": ["diag"]}) as server:  # no window to tell: /props is 404, /v1/models has none
        assert window(server.base_url) == ContextWindow(CONTEXT_TOKENS_ASSUMED, ASSUMED)


@pytest.mark.parametrize(("routes", "expected"), [
    ({"/props": {"default_generation_settings": {"n_ctx": 4096}, "n_ctx": 16384, "total_slots": 4}},
     ContextWindow(4096, "llama.cpp /props")),  # one slot's window is what a request gets
    ({"/props": {"n_ctx": 12288}}, ContextWindow(12288, "llama.cpp /props")),
    ({"/v1/models": {"object": "list", "data": [{"id": "other", "max_model_len": 4096},
                                                {"id": "diag", "max_model_len": 16384}]}},
     ContextWindow(16384, "vLLM /v1/models")),
    ({"/v1/models": {"object": "list", "data": [{"id": "served-as-something-else", "max_model_len": 10240}]}},
     ContextWindow(10240, "vLLM /v1/models")),
    ({"/api/v0/models": {"data": [{"id": "other", "state": "loaded", "loaded_context_length": 2048},
                                  {"id": "diag", "state": "loaded", "loaded_context_length": 8192,
                                   "max_context_length": 131072}]}},
     ContextWindow(8192, "LM Studio /api/v0/models")),
    ({"/api/v0/models": {"data": [{"id": "diag", "state": "not-loaded", "max_context_length": 32768}]}},
     ContextWindow(32768, "LM Studio /api/v0/models")),
    ({"/v1/models": {"object": "list", "data": [{"id": "qwen.gguf", "meta": {"n_ctx_train": 131072}}]}},
     ContextWindow(131072, "llama.cpp /v1/models n_ctx_train")),
    ({"/props": {"default_generation_settings": {"n_ctx": "a lot"}}, "/v1/models": {"data": [{"id": "diag"}]}},
     ContextWindow(CONTEXT_TOKENS_ASSUMED, ASSUMED)),
])
def test_the_probe_reads_each_servers_shape(routes, expected):
    with serving(routes) as (base_url, seen):
        assert window(base_url, api_key="sk-local") == expected
    assert seen[0] == ("/props", "Bearer sk-local")  # llama.cpp's route first, with the key as the endpoint gets it


def test_a_configured_window_wins_and_nothing_is_asked():
    with serving({"/props": {"n_ctx": 4096}}) as (base_url, seen):
        assert window(base_url, context_tokens=20_000) == ContextWindow(20_000, CONFIGURED)
    assert seen == []


def test_an_unreachable_server_is_no_error():
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    found = window(f"http://127.0.0.1:{port}/v1")
    assert found == ContextWindow(CONTEXT_TOKENS_ASSUMED, ASSUMED)
    assert "assuming 65,536 tokens" in found.describe() and "model.context_tokens" in found.describe()
