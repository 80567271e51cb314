"""The chat-completions client against real local HTTP servers (TCP and Unix socket)."""

from __future__ import annotations

import socket
import time

import pytest

from errors import ContextTooLong, LimitReached, ModelError
from fake_model import FakeModel, error, reply, slow
from llm import ModelClient, ModelConfig, wire_message

HI = [{"role": "user", "content": "hi"}]


def client(server: FakeModel, **overrides) -> ModelClient:
    config = ModelConfig.from_env(server.env())
    config.backoff_s = 0.01
    for key, value in overrides.items():
        setattr(config, key, value)
    return ModelClient(config)


def test_from_env_reads_the_documented_variables() -> None:
    config = ModelConfig.from_env({"DGM_MODEL_URL": "http://h:1/v1", "DGM_MODEL_TIMEOUT": "7", "DGM_API_KEY": "k"})
    assert (config.base_url, config.socket_path, config.model, config.timeout_s, config.api_key) == (
        "http://h:1/v1", None, "default", 7.0, "k")
    assert ModelConfig.from_env({}).timeout_s == 600.0


def test_from_env_reads_the_agent_settings() -> None:
    config = ModelConfig.from_env({"DGM_MODEL_MAX_TOKENS": "512", "DGM_TOOL_MODE": "text"})
    assert (config.max_tokens, config.tool_mode) == (512, "text")
    assert ModelConfig.from_env({"DGM_TOOL_MODE": " Native "}).tool_mode == "native"
    default = ModelConfig.from_env({})
    assert (default.max_tokens, default.tool_mode) == (None, "auto")


@pytest.mark.parametrize("value", ["", "many", "0", "-5", "nan", "inf"])
def test_a_senseless_setting_counts_as_absent(value: str) -> None:
    config = ModelConfig.from_env({"DGM_MODEL_MAX_TOKENS": value, "DGM_TOOL_MODE": value, "DGM_MODEL_TIMEOUT": value})
    assert (config.max_tokens, config.tool_mode, config.timeout_s) == (None, "auto", 600.0)
    assert ModelConfig.from_env({"DGM_MODEL_MAX_TOKENS": "2.5"}).max_tokens is None


def test_max_tokens_goes_with_every_request(fake_model: FakeModel) -> None:
    chat = client(fake_model, max_tokens=300)
    chat.chat(HI)
    chat.chat(HI, [{"type": "function", "function": {"name": "bash", "parameters": {"type": "object"}}}])
    assert [body["max_tokens"] for body in fake_model.bodies] == [300, 300]


def test_no_endpoint_is_an_error() -> None:
    with pytest.raises(ModelError, match="DGM_MODEL_SOCKET or DGM_MODEL_URL"):
        ModelClient(ModelConfig())


def test_chat_over_tcp_sends_model_tools_and_no_key(fake_model: FakeModel) -> None:
    fake_model.answers = [reply("hello")]
    tools = [{"type": "function", "function": {"name": "bash", "parameters": {"type": "object"}}}]
    assert client(fake_model).chat(HI, tools) == {"role": "assistant", "content": "hello"}
    [request] = fake_model.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["body"] == {"model": "fake", "messages": HI, "tools": tools, "tool_choice": "auto"}
    assert "Authorization" not in request["headers"]


def test_api_key_is_sent_as_bearer_token(fake_model: FakeModel) -> None:
    client(fake_model, api_key="sk-test").chat(HI)
    assert fake_model.requests[0]["headers"]["Authorization"] == "Bearer sk-test"
    assert "tools" not in fake_model.bodies[0]


def test_chat_over_a_unix_socket(unix_fake_model: FakeModel) -> None:
    unix_fake_model.answers = [reply(tool_calls=[("bash", {"command": "ls"})])]
    message = client(unix_fake_model).chat(HI)
    assert message["tool_calls"][0]["function"]["name"] == "bash"
    assert unix_fake_model.requests[0]["path"] == "/v1/chat/completions"


def test_transcript_only_keys_stay_local(fake_model: FakeModel) -> None:
    note = {"role": "assistant", "content": "x", "parsed_tool_calls": [{"name": "bash"}]}
    client(fake_model).chat([*HI, note])
    assert fake_model.bodies[0]["messages"][1] == {"role": "assistant", "content": "x"}
    assert wire_message(note) == {"role": "assistant", "content": "x"}


@pytest.mark.parametrize("failure", [
    error(500, "boom"), error(429, "slow down", "rate_limit_error"), error(503, "busy"),
])
def test_retries_server_errors_and_rate_limits(fake_model: FakeModel, failure) -> None:
    fake_model.answers = [failure, failure, reply("finally")]
    assert client(fake_model).chat(HI)["content"] == "finally"
    assert len(fake_model.requests) == 3


def test_gives_up_after_the_retries(fake_model: FakeModel) -> None:
    fake_model.answers = [error(502, "bad gateway")]
    with pytest.raises(ModelError, match="after 4 attempts.*bad gateway"):
        client(fake_model).chat(HI)
    assert len(fake_model.requests) == 4


def test_backoff_doubles(fake_model: FakeModel) -> None:
    fake_model.answers = [error(500, "x")]
    start = time.monotonic()
    with pytest.raises(ModelError):
        client(fake_model, backoff_s=0.05, retries=2).chat(HI)
    assert time.monotonic() - start >= 0.05 + 0.1


@pytest.mark.parametrize("kind", ["limit_exceeded", "cost_limit"])
def test_gateway_limits_stop_at_once(fake_model: FakeModel, kind: str) -> None:
    fake_model.answers = [error(429, "dgm: attempt limit reached", kind)]
    with pytest.raises(LimitReached, match="attempt limit reached"):
        client(fake_model).chat(HI)
    assert len(fake_model.requests) == 1


@pytest.mark.parametrize("failure", [
    error(400, "This model's maximum context length is 8192 tokens.", "invalid_request_error"),
    error(400, "prompt too big", "invalid_request_error", code="context_length_exceeded"),
    error(400, "Input has too many tokens", "invalid_request_error"),
    error(413, "request body missing or too large", "invalid_request_error"),
])
def test_context_overflow(fake_model: FakeModel, failure) -> None:
    fake_model.answers = [failure]
    with pytest.raises(ContextTooLong):
        client(fake_model).chat(HI)
    assert len(fake_model.requests) == 1


def test_other_client_errors_carry_the_server_message(fake_model: FakeModel) -> None:
    fake_model.answers = [error(400, "tools are not supported", "invalid_request_error")]
    with pytest.raises(ModelError, match="HTTP 400: tools are not supported") as caught:
        client(fake_model).chat(HI)
    assert caught.value.http_status == 400 and len(fake_model.requests) == 1


def test_an_answer_without_choices_is_an_error(fake_model: FakeModel) -> None:
    fake_model.answers = [(200, {"object": "chat.completion"}, 0.0)]
    with pytest.raises(ModelError, match="no choices"):
        client(fake_model).chat(HI)


def test_connection_errors_are_retried() -> None:
    with socket.socket() as sock:  # a port that nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = ModelConfig(base_url=f"http://127.0.0.1:{port}/v1", retries=2, backoff_s=0.01)
    with pytest.raises(ModelError, match="after 3 attempts.*ConnectionRefused"):
        ModelClient(config).chat(HI)


def test_missing_unix_socket_is_a_connection_error() -> None:
    config = ModelConfig(socket_path="/nonexistent/model.sock", retries=1, backoff_s=0.01)
    with pytest.raises(ModelError, match="after 2 attempts"):
        ModelClient(config).chat(HI)


def test_request_timeout_then_success(fake_model: FakeModel) -> None:
    # Wide margins: these tests also run inside dgm's validity gate on a loaded machine.
    fake_model.answers = [slow(reply("late"), 20.0), reply("on time")]
    start = time.monotonic()
    assert client(fake_model, timeout_s=0.5).chat(HI)["content"] == "on time"
    assert time.monotonic() - start < 10
