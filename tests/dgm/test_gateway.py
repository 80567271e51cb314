"""The gateway on the host: forwarding over a Unix socket, limits, accounting, upstream faults."""

import http.client
import json
import socket

import pytest

from archive_db import Archive
from dgm.config import LimitsConfig, ModelConfig, Price
from dgm.errors import ModelEndpointError
from dgm.gateway import Gateway
from dgm.model_client import CallContext, ModelClient
from dgm.models.scripted import ScriptedModelServer

SCRIPT = {
    "rule": [
        {"name": "boom", "match": {"contains": "please fail"}, "error": {"status": 500, "message": "upstream broke"}},
        {"name": "hang", "match": {"contains": "please hang"}, "hang": True},
        {"name": "too-long", "match": {"contains": "huge"},
         "error": {"status": 400, "message": "This model's maximum context length is 8192 tokens",
                   "type": "invalid_request_error"}},
        {"name": "tool", "match": {"has_tools": True}, "reply": {"tool_calls": [{"name": "bash", "arguments": {"command": "ls"}}],
                                                                "usage": {"prompt_tokens": 1000, "completion_tokens": 500}}},
        {"name": "text", "reply": {"content": "hello", "usage": {"prompt_tokens": 1000, "completion_tokens": 500}}},
    ]
}


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float = 30) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


def post(gw: Gateway, body: dict) -> tuple[int, dict]:
    conn = UnixConnection(str(gw.socket_path))
    conn.request("POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json"})
    resp = conn.getresponse()
    return resp.status, json.loads(resp.read())


@pytest.fixture()
def upstream():
    with ScriptedModelServer(SCRIPT) as server:
        yield server


@pytest.fixture()
def archive(tmp_path):
    a = Archive.in_dir(tmp_path)
    run = a.create_run("t", "{}", "0")
    a.run_id = run.id  # type: ignore[attr-defined]
    yield a
    a.close()


def _client(upstream, archive, assumed_max_output: int = 16_384, **overrides) -> ModelClient:
    # No retries and a short pause: a failing upstream counts as down at once and gives up fast.
    cfg = ModelConfig(base_url=upstream.base_url, agent_model="m", request_timeout_s=overrides.pop("timeout", 30),
                      max_retries=0, pause_probe_s=0.1, max_pause_s=0.3, prices={"m": Price(input=2.0, output=10.0)})
    return ModelClient(cfg, "secret-key", archive, assumed_max_output=assumed_max_output)


def test_forwards_tool_calls_and_records_cost(upstream, archive):
    ctx = CallContext(archive.run_id, None, "task-1", "solve")
    with Gateway(_client(upstream, archive), ctx, "m", LimitsConfig()) as gw:
        status, body = post(gw, {"model": "whatever", "messages": [{"role": "user", "content": "hi"}],
                                 "tools": [{"type": "function", "function": {"name": "bash", "parameters": {"type": "object"}}}]})
    assert status == 200
    call = body["choices"][0]["message"]["tool_calls"][0]
    assert call["function"]["name"] == "bash" and json.loads(call["function"]["arguments"]) == {"command": "ls"}
    [recorded] = archive.calls(run_id=archive.run_id)
    assert (recorded.model, recorded.task_id, recorded.purpose) == ("m", "task-1", "solve")
    assert (recorded.prompt_tokens, recorded.completion_tokens) == (1000, 500)
    assert recorded.cost_usd == pytest.approx((1000 * 2.0 + 500 * 10.0) / 1e6)
    assert upstream.requests[-1]["model"] == "m"  # the agent cannot choose a pricier model


def test_call_and_token_limits_answer_limit_exceeded(upstream, archive):
    ctx = CallContext(archive.run_id, None, None, "solve")
    with Gateway(_client(upstream, archive), ctx, "m", LimitsConfig(max_calls=2)) as gw:
        assert post(gw, {"messages": [{"role": "user", "content": "a"}]})[0] == 200
        assert post(gw, {"messages": [{"role": "user", "content": "b"}]})[0] == 200
        status, body = post(gw, {"messages": [{"role": "user", "content": "c"}]})
    assert status == 429 and body["error"]["type"] == "limit_exceeded"
    assert len(archive.calls()) == 2  # the refused call never reached the upstream
    # Each request reserves its worst case (a small prompt + the assumed 2,000 output tokens) and is
    # settled to its real 1,500: two fit in 4,000, the third could pass the limit and is never sent.
    with Gateway(_client(upstream, archive, assumed_max_output=2000), ctx, "m", LimitsConfig(max_tokens=4000)) as gw:
        assert post(gw, {"messages": [{"role": "user", "content": "a"}]})[0] == 200
        assert post(gw, {"messages": [{"role": "user", "content": "b"}]})[0] == 200
        status, body = post(gw, {"messages": [{"role": "user", "content": "c"}]})
        assert status == 429 and body["error"]["type"] == "limit_exceeded"
        assert (gw.calls, gw.tokens, gw.tokens_reserved) == (2, 3000, 0)
    assert len(archive.calls()) == 4


def test_an_output_cap_is_clamped_to_what_the_attempt_has_left(upstream, archive):
    ctx = CallContext(archive.run_id, None, None, "solve")
    with Gateway(_client(upstream, archive), ctx, "m", LimitsConfig(max_tokens=10_000)) as gw:
        assert post(gw, {"messages": [{"role": "user", "content": "a"}], "max_tokens": 1_000_000,
                         "max_completion_tokens": 50})[0] == 200
        forwarded = upstream.requests[-1]
        # The larger cap is what a server might honour: it is cut to the 10,000 minus the prompt's bound.
        assert 9_900 < forwarded["max_tokens"] < 10_000 and forwarded["max_completion_tokens"] == 50
        # Without a cap the assumed 16,384 output tokens are reserved: that cannot fit, nothing is sent.
        status, body = post(gw, {"messages": [{"role": "user", "content": "b"}]})
        assert status == 429 and body["error"]["type"] == "limit_exceeded"
    assert len(upstream.requests) == 1


def test_upstream_errors_reach_the_agent_normalised_and_are_recorded_in_full(upstream, archive):
    ctx = CallContext(archive.run_id, None, None, "solve")
    with Gateway(_client(upstream, archive), ctx, "m", LimitsConfig()) as gw:
        status, body = post(gw, {"messages": [{"role": "user", "content": "huge"}]})
        assert (status, body["error"]["code"]) == (400, "context_length_exceeded")  # what the seed agent relies on
        assert body["error"]["message"] == "the request does not fit the model's context window"
        status, body = post(gw, {"messages": [{"role": "user", "content": "please fail"}]})
        # Failing every try, the endpoint counts as down; past max_pause_s the agent gets a 503.
        assert status == 503 and body["error"] == {"message": "the model endpoint is down", "type": "endpoint_down",
                                                   "code": "endpoint_down"}
        assert gw.tokens_reserved == 0 and gw.tokens == 0
    errors = [c.error for c in archive.calls()]
    assert all(errors) and len(errors) >= 2  # the overflow, then the down endpoint's tries and probes
    assert "maximum context length" in errors[0] and "upstream broke" in errors[1]  # the host keeps the detail


def test_a_hanging_upstream_hits_the_hard_timeout(upstream, archive):
    ctx = CallContext(archive.run_id, None, None, "solve")
    with Gateway(_client(upstream, archive, timeout=0.5), ctx, "m", LimitsConfig()) as gw:
        status, body = post(gw, {"messages": [{"role": "user", "content": "please hang"}]})
    assert status == 503 and body["error"]["type"] == "endpoint_down"
    assert "Timeout" in archive.calls()[-1].error


def test_malformed_requests_are_refused(upstream, archive):
    ctx = CallContext(archive.run_id, None, None, "solve")
    with Gateway(_client(upstream, archive), ctx, "m", LimitsConfig()) as gw:
        assert post(gw, {"no": "messages"})[0] == 400
    assert archive.calls() == []


def test_unreachable_endpoint_is_one_clear_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket closes
    client = ModelClient(ModelConfig(base_url=f"http://127.0.0.1:{port}/v1", max_retries=0), None, None)
    with pytest.raises(ModelEndpointError, match="unreachable"):
        client.check_reachable()
