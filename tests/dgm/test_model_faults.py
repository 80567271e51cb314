"""Model faults: retries with backoff, the paused run on a down endpoint, context overflows, and the
scripted model's injected faults. Real parts only: the scripted HTTP server and the `openai` package."""

from __future__ import annotations

import json
import random
import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import openai
import pytest

from archive_db import Archive
from dgm.budget import Budget
from dgm.config import LimitsConfig, ModelConfig, Price
from dgm.errors import ContextOverflow, EndpointDown
from dgm.gateway import Gateway
from dgm.model_client import CallContext, ModelClient
from dgm.models.scripted import ScriptedModelServer
from dgm.retry import Backoff, ClientCancelled, Outage

PRICES = {"m": Price(input=2.0, output=10.0), "n": Price(input=1.0, output=3.0)}
HI = [{"role": "user", "content": "hi"}]
OK = {"name": "ok", "reply": {"content": "fine", "usage": {"prompt_tokens": 1000, "completion_tokens": 500}}}
OK_COST = (1000 * 2.0 + 500 * 10.0) / 1e6
SEED_AGENT = Path(__file__).resolve().parents[2] / "dgm" / "seed_agent"


@pytest.fixture()
def archive(tmp_path):
    a = Archive.in_dir(tmp_path)
    a.run_id = a.create_run("t", "{}", "0").id  # type: ignore[attr-defined]
    yield a
    a.close()


@pytest.fixture()
def serve():
    servers: list[ScriptedModelServer] = []

    def start(script: dict, port: int = 0) -> ScriptedModelServer:
        servers.append(ScriptedModelServer(script, port=port).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


class Recorder:
    """The injected backoff sleep (it records, never sleeps) and the on_event sink."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.events: list[tuple[str, dict]] = []
        self.seen: dict[str, threading.Event] = {k: threading.Event() for k in ("endpoint_down", "endpoint_up")}

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def on_event(self, kind: str, data: dict) -> None:
        self.events.append((kind, data))
        if kind in self.seen:
            self.seen[kind].set()

    def kinds(self) -> list[str]:
        return [k for k, _ in self.events]


def make_client(base_url: str, archive: Archive | None = None, rec: Recorder | None = None, budget: Budget | None = None,
                real_sleep: bool = False, rng: random.Random | None = None, **config) -> ModelClient:
    """A client with fast retries and pauses; its backoff sleeps go to `rec` (not slept) unless real_sleep."""
    options = {"max_retries": 3, "retry_base_s": 0.01, "retry_max_s": 60.0, "pause_probe_s": 0.05,
               "max_pause_s": 10.0, "request_timeout_s": 5.0, **config}
    client = ModelClient(ModelConfig(base_url=base_url, prices=PRICES, **options), "key", archive, budget,
                         sleep=None if real_sleep or rec is None else rec.sleep, rng=rng or random.Random(0))
    if rec is not None:
        client.on_event = rec.on_event
    return client


def dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket closes
    return f"http://127.0.0.1:{port}/v1"


def ctx(archive: Archive | None = None) -> CallContext:
    return CallContext(archive.run_id if archive else None, None, "task", "solve")  # type: ignore[attr-defined]


class CountingBudget(Budget):
    reservations = 0

    def reserve(self, amount, agent_id, task_id, tokens=0):
        self.reservations += 1
        super().reserve(amount, agent_id, task_id, tokens=tokens)


# -- retries ---------------------------------------------------------------------------------------

def test_retries_then_success_record_every_try_and_reserve_the_budget_once(serve, archive):
    server = serve({"rule": [{"name": "flaky", "times": 3, "error": {"status": 503, "message": "overloaded"}}, OK]})
    rec, budget = Recorder(), CountingBudget(cap=1.0)
    client = make_client(server.base_url, archive, rec, budget, retry_base_s=0.5)
    response = client.chat(ctx(archive), "m", messages=HI)
    assert response["choices"][0]["message"]["content"] == "fine"
    calls = archive.calls()
    assert [bool(c.error) for c in calls] == [True, True, True, False]
    assert all("InternalServerError" in c.error and c.cost_usd == 0 and c.prompt_tokens == 0 for c in calls[:3])
    assert calls[3].cost_usd == pytest.approx(OK_COST)
    assert budget.reservations == 1 and budget.spent == pytest.approx(OK_COST) and budget.reserved == pytest.approx(0)
    retries = [d for k, d in rec.events if k == "model_retry"]
    assert [r["attempt"] for r in retries] == [1, 2, 3] and all("overloaded" in r["error"] for r in retries)
    # Full jitter: each wait lies within that retry's exponential bound.
    assert len(rec.sleeps) == 3 and all(0 <= w <= 0.5 * 2**i for i, w in enumerate(rec.sleeps))
    assert [r["wait_s"] for r in retries] == [round(w, 3) for w in rec.sleeps]


def test_retry_after_is_honoured_and_capped(serve, archive):
    server = serve({"rule": [{"name": "slow-down", "times": 1, "error": {"status": 429, "retry_after": 7}},
                             {"name": "way-down", "times": 1, "error": {"status": 429, "retry_after": 500}}, OK]})
    rec = Recorder()
    client = make_client(server.base_url, archive, rec, retry_max_s=60.0)
    client.chat(ctx(archive), "m", messages=HI)
    assert rec.sleeps == [7.0, 60.0]


def test_full_jitter_spreads_below_the_exponential_bound():
    backoff, rng = Backoff(retries=10, base_s=1.0, max_s=20.0), random.Random(1)
    for n in range(10):
        bound = min(20.0, 2.0**n)
        waits = [backoff.wait_s(n, rng) for _ in range(300)]
        assert all(0 <= w <= bound for w in waits)
        assert min(waits) < bound * 0.1 and max(waits) > bound * 0.9  # spread over the whole range
    assert backoff.wait_s(3, rng, retry_after=2.5) == 2.5


def test_a_hanging_upstream_is_retried_after_its_timeout(serve, archive):
    server = serve({"rule": [{"name": "hang", "times": 1, "hang": True}, OK]})
    client = make_client(server.base_url, archive, Recorder(), request_timeout_s=0.5)
    start = time.monotonic()
    assert client.chat(ctx(archive), "m", messages=HI)["choices"][0]["message"]["content"] == "fine"
    assert 0.5 <= time.monotonic() - start < 3
    assert ["APITimeoutError" in (c.error or "") for c in archive.calls()] == [True, False]


def test_a_timed_out_request_is_not_sent_again_at_once_and_the_user_learns_which_timeout_to_raise(serve, archive):
    # A CPU server may still be reading the prompt we gave up on: the next try waits as long as the
    # timed-out one ran, not the jittered backoff of a rate limit, and the event names the setting.
    server = serve({"rule": [{"name": "hang", "times": 2, "hang": True}, OK]})
    rec = Recorder()
    client = make_client(server.base_url, archive, rec, request_timeout_s=0.3, retry_base_s=0.01, retry_max_s=0.02)
    assert client.chat(ctx(archive), "m", messages=HI)["choices"][0]["message"]["content"] == "fine"
    assert rec.sleeps == [0.3, 0.3]
    retries = [d for k, d in rec.events if k == "model_retry"]
    assert all("model.request_timeout_s = 0.3 s" in r["hint"] for r in retries)


@pytest.mark.parametrize(("status", "exc"), [(400, openai.BadRequestError), (401, openai.AuthenticationError),
                                             (404, openai.NotFoundError), (422, openai.UnprocessableEntityError)])
def test_a_refused_request_fails_at_once(serve, archive, status, exc):
    server = serve({"rule": [{"name": "no", "error": {"status": status, "message": "refused"}}]})
    rec = Recorder()
    client = make_client(server.base_url, archive, rec)
    with pytest.raises(exc):
        client.chat(ctx(archive), "m", messages=HI)
    assert len(archive.calls()) == 1 and rec.sleeps == [] and not client.paused


# -- context overflow ------------------------------------------------------------------------------

@pytest.mark.parametrize("error", [
    {"status": 400, "message": "Request rejected", "code": "context_length_exceeded"},
    {"status": 400, "message": "This model's maximum context length is 8192 tokens. However, you requested 9000."},
    {"status": 400, "message": "prompt is too long: 210000 tokens > 200000 maximum"},
    {"status": 413, "message": "too many tokens in the request", "type": "request_too_large"},
    # llama.cpp's server (llama-server)
    {"status": 400, "message": "the request exceeds the available context size, try increasing it",
     "type": "exceed_context_size_error"},
])
def test_a_context_overflow_fails_the_call_with_its_reason(serve, archive, error):
    server = serve({"rule": [{"name": "long", "error": error}]})
    rec, budget = Recorder(), Budget(cap=1.0)
    client = make_client(server.base_url, archive, rec, budget)
    with pytest.raises(ContextOverflow, match=error["message"].split(".")[0]):
        client.chat(ctx(archive), "m", messages=HI)
    [call] = archive.calls()
    assert error["message"][:20] in call.error and rec.sleeps == []
    assert budget.spent == 0 and budget.reserved == pytest.approx(0) and not client.paused


def test_the_agent_gets_a_normalised_context_length_error_through_the_gateway(serve, archive):
    server = serve({"rule": [{"name": "long", "error": {"status": 400, "message": "Input is too long: too many tokens",
                                                        "type": "BadRequest"}}]})
    client = make_client(server.base_url, archive, Recorder())
    with Gateway(client, ctx(archive), "m", LimitsConfig()) as gw:
        # The seed agent's own client (stdlib, run as the container would) talks to the socket.
        probe = ("import json, sys; sys.path.insert(0, sys.argv[1]); from llm import ModelClient, ModelConfig, _check\n"
                 "from errors import AgentStop\n"
                 "try:\n    ModelClient(ModelConfig(socket_path=sys.argv[2], model='m', retries=0))"
                 ".chat([{'role': 'user', 'content': 'x'}])\n"
                 "except AgentStop as exc:\n    print(json.dumps([type(exc).__name__, exc.status, str(exc)]))\n")
        out = subprocess.run([sys.executable, "-c", probe, str(SEED_AGENT), str(gw.socket_path)], check=False,
                             capture_output=True, text=True, timeout=30)
    # The agent gets a fixed message (upstream text never reaches it); the archive keeps the upstream's.
    expected = ["ContextTooLong", "context_length", "the request does not fit the model's context window"]
    assert json.loads(out.stdout) == expected, out.stderr
    assert "too many tokens" in archive.calls()[0].error


# -- an endpoint that stays down -------------------------------------------------------------------

def test_a_down_endpoint_pauses_every_call_until_it_answers_again(serve, archive):
    url = dead_url()
    rec = Recorder()
    client = make_client(url, archive, rec, max_retries=2, pause_probe_s=0.1)
    results: list[object] = []

    def call() -> None:
        try:
            results.append(client.chat(ctx(archive), "m", messages=HI)["choices"][0]["message"]["content"])
        except Exception as exc:  # noqa: BLE001 - the test reports it
            results.append(exc)

    threads = [threading.Thread(target=call) for _ in range(3)]
    for t in threads:
        t.start()
    assert rec.seen["endpoint_down"].wait(5)
    assert client.paused and client.outage_started is not None
    [(_, down)] = [(k, d) for k, d in rec.events if k == "endpoint_down"]
    assert down["base_url"] == url and "APIConnectionError" in down["error"] and down["since"] == client.outage_started
    late = threading.Thread(target=call)  # a call that starts during the outage waits too
    late.start()
    time.sleep(0.5)
    tries_while_paused = len(archive.calls())
    time.sleep(0.5)
    assert len(archive.calls()) - tries_while_paused <= 7  # only probes (one per 0.1 s), no retry storm
    assert results == []  # nobody failed: every call waits
    serve({"rule": [OK]}, port=int(url.rsplit(":", 1)[1].split("/")[0]))  # the endpoint comes back
    for t in [*threads, late]:
        t.join(10)
    assert results == ["fine"] * 4
    assert rec.seen["endpoint_up"].is_set() and not client.paused and client.outage_started is None
    [up] = [d for k, d in rec.events if k == "endpoint_up"]
    assert up["base_url"] == url and up["down_s"] >= 1.0
    assert sum(c.error is None for c in archive.calls()) == 4
    assert archive.cost(run_id=archive.run_id) == pytest.approx(4 * OK_COST)


def test_a_scripted_outage_ends_when_its_errors_are_used_up(serve, archive):
    server = serve({"rule": [{"name": "down", "times": 8, "error": {"status": 502, "message": "bad gateway"}}, OK]})
    rec = Recorder()
    client = make_client(server.base_url, archive, rec, max_retries=2)
    assert client.chat(ctx(archive), "m", messages=HI)["choices"][0]["message"]["content"] == "fine"
    assert rec.kinds() == ["model_retry", "model_retry", "endpoint_down", "endpoint_up"]
    assert len(archive.calls()) == 9 and server.hits("down") == 8  # 3 tries, then 5 failed probes, then the answer


def test_insufficient_quota_pauses_at_once_instead_of_retrying(serve, archive):
    quota = {"status": 429, "message": "You exceeded your current quota", "type": "insufficient_quota",
             "code": "insufficient_quota"}
    server = serve({"rule": [{"name": "quota", "times": 2, "error": quota}, OK]})
    rec = Recorder()
    client = make_client(server.base_url, archive, rec)
    assert client.chat(ctx(archive), "m", messages=HI)["choices"][0]["message"]["content"] == "fine"
    assert rec.kinds() == ["endpoint_down", "endpoint_up"] and rec.sleeps == []


def test_an_outage_past_max_pause_raises_endpoint_down(archive):
    url = dead_url()
    client = make_client(url, archive, Recorder(), max_retries=1, pause_probe_s=0.05, max_pause_s=0.4)
    errors: list[BaseException] = []

    def call() -> None:
        try:
            client.chat(ctx(archive), "m", messages=HI)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    start = time.monotonic()
    threads = [threading.Thread(target=call) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert len(errors) == 2 and all(isinstance(e, EndpointDown) for e in errors)
    assert re.fullmatch(rf"model endpoint {re.escape(url)} down for \d+ s: APIConnectionError.*", str(errors[0]))
    assert client.gave_up and time.monotonic() - start < 3


def test_cancel_wakes_paused_and_backing_off_calls(archive):
    rng = random.Random(0)
    rng.uniform = lambda a, b: b  # type: ignore[method-assign] - the longest backoff: the call sleeps 30 s
    backing_off, down = Recorder(), Recorder()
    client = make_client(dead_url(), archive, backing_off, real_sleep=True, rng=rng, retry_base_s=30.0,
                         pause_probe_s=60.0)
    paused = make_client(dead_url(), archive, down, max_retries=0, pause_probe_s=60.0)
    errors: list[BaseException] = []

    def call(c: ModelClient) -> None:
        try:
            c.chat(ctx(archive), "m", messages=HI)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=call, args=(c,)) for c in (client, paused, paused)]
    for t in threads:
        t.start()
    assert down.seen["endpoint_down"].wait(5)
    deadline = time.monotonic() + 5
    while "model_retry" not in backing_off.kinds() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    assert errors == [] and paused.paused and backing_off.kinds() == ["model_retry"]
    start = time.monotonic()
    client.cancel()
    paused.cancel()
    for t in threads:
        t.join(5)
    assert time.monotonic() - start < 1.5
    assert len(errors) == 3 and all(isinstance(e, ClientCancelled) for e in errors)
    assert client.cancelled
    with pytest.raises(ClientCancelled):
        client.chat(ctx(archive), "m", messages=HI)


def test_a_request_that_fails_while_others_succeed_does_not_pause_the_run(serve, archive):
    # A "poison" request: always 500 while the endpoint serves other calls. It fails; nobody pauses.
    server = serve({"rule": [{"name": "poison", "match": {"contains": "poison"}, "error": {"status": 500}}, OK]})
    rec = Recorder()
    client = make_client(server.base_url, archive, rec, real_sleep=True, retry_base_s=0.05, retry_max_s=0.05)
    done = threading.Event()

    def healthy() -> None:
        while not done.is_set():
            client.chat(ctx(archive), "m", messages=HI)
            time.sleep(0.005)

    t = threading.Thread(target=healthy)
    t.start()
    try:
        with pytest.raises(openai.InternalServerError):
            client.chat(ctx(archive), "m", messages=[{"role": "user", "content": "poison"}])
    finally:
        done.set()
        t.join(5)
    assert rec.kinds().count("model_retry") == 3 and "endpoint_down" not in rec.kinds()


def test_an_answer_to_a_request_sent_before_the_failures_is_no_proof_the_endpoint_is_up(serve, archive):
    # A slow answer that was already on its way lands while another call runs out of retries: that
    # call must not be blamed as a poison request (and rejected), it marks the endpoint down.
    server = serve({"rule": [{"name": "slow", "match": {"contains": "slow"}, "delay": 0.5, "reply": {"content": "late"}},
                             {"name": "failing", "error": {"status": 500}}]})
    rec = Recorder()
    slow_answered = threading.Event()
    client = make_client(server.base_url, archive, rec, max_retries=1, max_pause_s=0.5, pause_probe_s=0.1)
    client._sleep = lambda seconds: slow_answered.wait(5)  # the backoff lasts until the slow answer is in

    def slow() -> None:
        client.chat(ctx(archive), "m", messages=[{"role": "user", "content": "slow"}])
        slow_answered.set()

    t = threading.Thread(target=slow)
    t.start()
    while server.hits("slow") == 0:  # the slow request is sent (and being answered) first
        time.sleep(0.01)
    with pytest.raises(EndpointDown):
        client.chat(ctx(archive), "m", messages=HI)
    t.join(5)
    assert slow_answered.is_set() and "endpoint_down" in rec.kinds()
    assert "endpoint_up" not in rec.kinds()  # nor did that late answer end the outage


def test_only_an_answer_to_a_request_sent_during_an_outage_ends_it():
    outage = Outage("http://x/v1", probe_s=1.0, max_pause_s=60.0)
    before = time.monotonic()
    assert outage.mark_down("APIConnectionError")
    assert outage.answered(sent_at=before) is None and outage.down
    assert outage.answered(sent_at=time.monotonic()) is not None and not outage.down


# -- the scripted model's injected faults ----------------------------------------------------------

def test_injected_faults_are_survived_and_only_answers_are_billed(serve, archive):
    script = {
        "faults": {"rate": 0.3, "seed": 7, "timeout_s": 3.0},
        "rule": [{"name": "tool", "match": {"has_tools": True},
                  "reply": {"tool_calls": [{"name": "bash", "arguments": {"command": "ls -la"}}]}},
                 {"name": "text", "replies": [{"content": "one"}, {"content": "two two"}]}],
    }
    server = serve(script)
    client = make_client(server.base_url, archive, Recorder(), max_retries=10, retry_base_s=0.005, retry_max_s=0.02,
                         request_timeout_s=0.3)
    tools = [{"type": "function", "function": {"name": "bash", "parameters": {"type": "object"}}}]
    answers: list[dict] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        for j in range(25):
            body = {"messages": [{"role": "user", "content": f"request {i}-{j} " + "x" * (j * 7)}]}
            if j % 2:
                body["tools"] = tools
            answer = client.chat(ctx(archive), "m" if i % 2 else "n", **body)
            with lock:
                answers.append(answer)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(40)
    assert len(answers) == 200  # every call eventually succeeded
    stats = server.stats()
    assert all(stats["faults"][kind] > 0 for kind in ("429", "500", "timeout", "malformed")), stats
    assert stats["completions"] == 200
    malformed = 0
    for answer in answers:
        for call in answer["choices"][0]["message"].get("tool_calls", []):
            try:
                json.loads(call["function"]["arguments"])
            except ValueError:
                malformed += 1
    assert malformed == stats["faults"]["malformed"]
    calls = archive.calls()
    failed = sum(stats["faults"][k] for k in ("429", "500", "timeout"))
    assert Counter(c.error is None for c in calls) == {True: 200, False: failed}
    expected = sum(client.cost_of(model, u["prompt_tokens"], u["completion_tokens"])
                   for model, u in stats["usage_by_model"].items())
    assert archive.cost(run_id=archive.run_id) == pytest.approx(expected)
