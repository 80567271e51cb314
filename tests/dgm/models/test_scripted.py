"""The scripted model, driven the way production drives any endpoint: the real `openai` package."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from dgm.models.scripted import ScriptedModelServer, load_script

USER = [{"role": "user", "content": "hello"}]


@pytest.fixture()
def serve() -> Iterator[Any]:
    """serve(script) -> (server, openai client); every server is stopped at the end of the test."""
    servers: list[ScriptedModelServer] = []

    def start(script: dict[str, Any] | str | Path, **client_options: Any) -> tuple[ScriptedModelServer, Any]:
        server = ScriptedModelServer(script).start()
        servers.append(server)
        options = {"max_retries": 0, "timeout": 5.0, **client_options}
        return server, openai.OpenAI(base_url=server.base_url, api_key="x", **options)

    yield start
    for server in servers:
        server.stop()


def ask(client: openai.OpenAI, messages: list[dict[str, Any]] | None = None, **kwargs: Any) -> str | None:
    resp = client.chat.completions.create(model=kwargs.pop("model", "m"), messages=messages or USER, **kwargs)
    return resp.choices[0].message.content


def test_text_reply_is_a_real_chat_completion(serve):
    server, client = serve({"rule": [{"name": "hi", "reply": {"content": "Hello there."}}]})
    resp = client.chat.completions.create(model="gpt-x", messages=[{"role": "user", "content": "a" * 40}])
    assert resp.object == "chat.completion" and resp.model == "gpt-x" and resp.id
    assert resp.choices[0].message.role == "assistant"
    assert resp.choices[0].message.content == "Hello there."
    assert resp.choices[0].message.tool_calls is None
    assert resp.choices[0].finish_reason == "stop"
    assert (resp.usage.prompt_tokens, resp.usage.completion_tokens, resp.usage.total_tokens) == (10, 3, 13)
    assert server.hits("hi") == 1
    assert server.requests[0]["rule"] == "hi" and server.requests[0]["messages"][0]["content"] == "a" * 40


def test_tool_calls_are_parsed_by_openai_with_unique_ids(serve):
    reply = {"tool_calls": [{"name": "bash", "arguments": {"command": "ls -la"}},
                            {"name": "edit", "arguments": {"path": "a.py", "text": "x = 1\n"}}]}
    _, client = serve({"rule": [{"name": "tools", "reply": reply}]})
    ids = []
    for _ in range(2):
        message = client.chat.completions.create(model="m", messages=USER).choices[0]
        assert message.finish_reason == "tool_calls" and message.message.content is None
        calls = message.message.tool_calls
        assert [c.function.name for c in calls] == ["bash", "edit"]
        assert json.loads(calls[0].function.arguments) == {"command": "ls -la"}
        assert json.loads(calls[1].function.arguments) == {"path": "a.py", "text": "x = 1\n"}
        ids += [c.id for c in calls]
    assert len(set(ids)) == 4 and all(i.startswith("call_") for i in ids)


def test_malformed_arguments_finish_reason_and_usage_overrides(serve):
    reply = {"tool_calls": [{"name": "bash", "arguments_raw": "{not json"}], "finish_reason": "length",
             "usage": {"prompt_tokens": 1000, "completion_tokens": 7}}
    _, client = serve({"rule": [{"name": "bad", "reply": reply}]})
    resp = client.chat.completions.create(model="m", messages=USER)
    assert resp.choices[0].message.tool_calls[0].function.arguments == "{not json"
    assert resp.choices[0].finish_reason == "length"
    assert (resp.usage.prompt_tokens, resp.usage.completion_tokens, resp.usage.total_tokens) == (1000, 7, 1007)
    rule_usage = {"name": "u", "usage": {"prompt_tokens": 5, "completion_tokens": 6},
                  "replies": [{"content": "x"}, {"content": "y", "usage": {"completion_tokens": 1}}]}
    _, client = serve({"rule": [rule_usage]})
    usages = [client.chat.completions.create(model="m", messages=USER).usage for _ in range(2)]
    assert [(u.prompt_tokens, u.completion_tokens, u.total_tokens) for u in usages] == [(5, 6, 11), (5, 1, 6)]


def test_the_output_cap_bounds_the_billed_completion_like_a_real_server(serve):
    _, client = serve({"rule": [{"name": "long", "reply": {"content": "x", "usage": {"completion_tokens": 5000}}}]})
    capped = client.chat.completions.create(model="m", messages=USER, max_tokens=1200)
    assert (capped.usage.completion_tokens, capped.choices[0].finish_reason) == (1200, "length")
    assert capped.usage.total_tokens == capped.usage.prompt_tokens + 1200
    # max_completion_tokens wins over max_tokens, as vLLM reads them; a cap above the reply changes nothing.
    both = client.chat.completions.create(model="m", messages=USER, max_tokens=10, max_completion_tokens=300)
    assert both.usage.completion_tokens == 300
    loose = client.chat.completions.create(model="m", messages=USER, max_completion_tokens=9000)
    assert (loose.usage.completion_tokens, loose.choices[0].finish_reason) == (5000, "stop")


def test_default_reply_and_builtin_default(serve):
    _, client = serve({"default": {"content": "nothing to do"}})
    assert ask(client) == "nothing to do"
    server, client = serve({})
    assert "no rule matched" in ask(client)
    assert server.hits("default") == 1


@pytest.mark.parametrize(("match", "hit", "miss"), [
    ({"contains": "needle"}, [{"role": "user", "content": "a needle here"}], USER),
    ({"contains": ["one", "two"]}, [{"role": "user", "content": "one"}, {"role": "tool", "tool_call_id": "c",
                                                                        "content": "two"}],
     [{"role": "user", "content": "one"}]),
    ({"last_contains": "end"}, [{"role": "user", "content": "x"}, {"role": "user", "content": "the end"}],
     [{"role": "user", "content": "the end"}, {"role": "user", "content": "x"}]),
    ({"system_contains": "diagnose"}, [{"role": "system", "content": "You diagnose."}, *USER],
     [{"role": "system", "content": "You code."}, {"role": "user", "content": "diagnose"}]),
    ({"not_contains": "secret"}, USER, [{"role": "user", "content": "a secret"}]),
    ({"regex": r"line \d+\nsecond"}, [{"role": "user", "content": "line 42"}, {"role": "user", "content": "second"}],
     [{"role": "user", "content": "line x"}]),
    ({"contains": "part"}, [{"role": "user", "content": [{"type": "text", "text": "a part of it"}]}], USER),
])
def test_content_criteria(serve, match, hit, miss):
    _, client = serve({"rule": [{"name": "r", "match": match, "reply": {"content": "matched"}}],
                       "default": {"content": "default"}})
    assert ask(client, hit) == "matched"
    assert ask(client, miss) == "default"


def test_turn_has_tools_and_model_criteria(serve):
    script = {"rule": [
        {"name": "first", "match": {"turn": 0, "model": "big"}, "reply": {"content": "first"}},
        {"name": "middle", "match": {"turn": [1, 2], "has_tools": True}, "reply": {"content": "middle"}},
        {"name": "no-tools", "match": {"has_tools": False}, "reply": {"content": "no tools"}},
    ], "default": {"content": "default"}}
    server, client = serve(script)
    tools = [{"type": "function", "function": {"name": "bash", "parameters": {"type": "object"}}}]
    said = {"role": "assistant", "content": "ok"}
    assert ask(client, model="big") == "first"
    assert ask(client, model="small") == "no tools"
    assert ask(client, [*USER, said], tools=tools) == "middle"
    assert ask(client, [*USER, said, said], tools=tools) == "middle"
    assert ask(client, [*USER, said, said, said], tools=tools) == "default"
    assert [m.id for m in client.models.list()] == ["big"]
    assert server.hits("middle") == 2


def test_times_then_next_rule_and_replies_rotation(serve):
    script = {"rule": [
        {"name": "twice", "times": 2, "reply": {"content": "limited"}},
        {"name": "rotate", "replies": [{"content": "a"}, {"content": "b"}, {"content": "c"}]},
    ]}
    server, client = serve(script)
    assert [ask(client) for _ in range(7)] == ["limited", "limited", "a", "b", "c", "a", "b"]
    assert (server.hits("twice"), server.hits("rotate"), server.hits("nope")) == (2, 5, 0)


@pytest.mark.parametrize(("status", "kind", "exc"), [
    (429, "rate_limit_error", openai.RateLimitError),
    (500, "server_error", openai.InternalServerError),
    (400, "invalid_request_error", openai.BadRequestError),
])
def test_errors_raise_the_matching_openai_exception(serve, status, kind, exc):
    _, client = serve({"rule": [{"name": "e", "error": {"status": status, "message": f"boom {status}"}}]})
    with pytest.raises(exc) as info:
        ask(client)
    assert info.value.status_code == status
    assert info.value.body == {"message": f"boom {status}", "type": kind, "param": None, "code": None}


def test_error_once_with_retry_after_then_the_client_retries(serve):
    script = {"rule": [{"name": "limit", "times": 1, "error": {"status": 429, "retry_after": 0.05, "code": "rl"}},
                       {"name": "ok", "reply": {"content": "fine"}}]}
    server, _ = serve(script)
    raw = httpx.post(f"{server.base_url}/chat/completions", json={"model": "m", "messages": USER})
    assert raw.status_code == 429 and raw.headers["retry-after"] == "0.05"
    assert raw.json()["error"]["code"] == "rl"
    server, client = serve(script, max_retries=2)
    assert ask(client) == "fine"
    assert (server.hits("limit"), server.hits("ok")) == (1, 1)


def test_delay_is_waited(serve):
    _, client = serve({"rule": [{"name": "slow", "delay": 0.3, "reply": {"content": "late"}}]})
    start = time.monotonic()
    assert ask(client) == "late"
    assert time.monotonic() - start >= 0.3


def test_hang_makes_the_client_time_out_and_stop_stays_prompt(serve):
    script = {"rule": [{"name": "hang", "hang": True, "times": 1}, {"name": "ok", "reply": {"content": "back"}}]}
    server, client = serve(script, timeout=0.5)
    with pytest.raises(openai.APITimeoutError):
        ask(client)
    assert ask(client) == "back"  # the hang was used up; the server still answers
    server2, _ = serve({"rule": [{"name": "hang", "hang": True}]})
    hanging = threading.Thread(target=_post_ignoring_errors, args=(server2.base_url,), daemon=True)
    hanging.start()
    while server2.hits("hang") == 0:
        time.sleep(0.01)
    start = time.monotonic()
    server2.stop()
    assert time.monotonic() - start < 2
    hanging.join(timeout=2)
    assert not hanging.is_alive()


def _post_ignoring_errors(base_url: str) -> None:
    try:
        httpx.post(f"{base_url}/chat/completions", json={"model": "m", "messages": USER}, timeout=30)
    except httpx.HTTPError:
        pass  # the server hangs up when it stops: that is the point


def test_streaming_reassembles_content_tool_calls_and_usage(serve):
    reply = {"content": "A long answer that spans several stream chunks.",
             "tool_calls": [{"name": "bash", "arguments": {"command": "echo streaming works"}}]}
    _, client = serve({"rule": [{"name": "s", "reply": reply}]})
    stream = client.chat.completions.create(model="m", messages=USER, stream=True,
                                            stream_options={"include_usage": True})
    content, args, names, finish, usage = "", "", [], None, None
    for chunk in stream:
        assert chunk.object == "chat.completion.chunk"
        usage = chunk.usage or usage
        for choice in chunk.choices:
            content += choice.delta.content or ""
            for call in choice.delta.tool_calls or []:
                names += [call.function.name] if call.function.name else []
                args += call.function.arguments or ""
            finish = choice.finish_reason or finish
    assert content == reply["content"] and names == ["bash"]
    assert json.loads(args) == {"command": "echo streaming works"}
    assert finish == "tool_calls" and usage.total_tokens > 0


def test_raw_stream_ends_with_done(serve):
    server, _ = serve({"rule": [{"name": "s", "reply": {"content": "hi"}}]})
    with httpx.stream("POST", f"{server.base_url}/chat/completions",
                      json={"model": "m", "messages": USER, "stream": True}) as resp:
        assert resp.headers["content-type"].startswith("text/event-stream")
        events = [line for line in resp.iter_lines() if line]
    assert events[-1] == "data: [DONE]"
    assert all(e.startswith("data: ") for e in events)


def test_models_endpoint_and_unknown_routes(serve):
    server, client = serve({"models": ["alpha", "beta"]})
    assert [m.id for m in client.models.list()] == ["alpha", "beta"]
    _, plain = serve({})
    assert [m.id for m in plain.models.list()] == ["scripted"]
    assert httpx.get(f"{server.base_url}/nope").status_code == 404
    bad = httpx.post(f"{server.base_url}/chat/completions", content=b"{nope")
    assert bad.status_code == 400 and "not JSON" in bad.json()["error"]["message"]


def test_loading_from_toml_and_json_files(serve, tmp_path):
    toml_file = tmp_path / "s.toml"
    toml_file.write_text('default = { content = "d" }\n[[rule]]\nname = "t"\n[rule.match]\ncontains = "x"\n'
                         '[rule.reply]\ncontent = "from toml"\n'
                         '[[rule.reply.tool_calls]]\nname = "bash"\narguments = { command = "ls" }\n')
    json_file = tmp_path / "s.json"
    json_file.write_text(json.dumps({"rule": [{"name": "j", "reply": {"content": "from json"}}]}))
    _, client = serve(toml_file)
    assert ask(client, [{"role": "user", "content": "x"}]) == "from toml"
    assert ask(client) == "d"
    _, client = serve(str(json_file))
    assert ask(client) == "from json"


@pytest.mark.parametrize(("script", "message"), [
    ({"rules": []}, "unknown key 'rules'"),
    ({"rule": [{"reply": {"content": "x"}}]}, "rule[0].name"),
    ({"rule": [{"name": "a", "reply": {"content": "x"}}, {"name": "a", "reply": {"content": "y"}}]}, "not unique"),
    ({"rule": [{"name": "default", "reply": {"content": "x"}}]}, "reserved"),
    ({"rule": [{"name": "a"}]}, "needs exactly one of reply, replies, error"),
    ({"rule": [{"name": "a", "reply": {"content": "x"}, "error": {"status": 500}}]}, "exactly one"),
    ({"rule": [{"name": "a", "match": {"contians": "x"}, "reply": {"content": "x"}}]}, "rule 'a'.match: unknown"),
    ({"rule": [{"name": "a", "match": {"turn": [3, 1]}, "reply": {"content": "x"}}]}, "rule 'a'.match.turn"),
    ({"rule": [{"name": "a", "match": {"regex": "("}, "reply": {"content": "x"}}]}, "rule 'a'.match.regex"),
    ({"rule": [{"name": "a", "match": {"has_tools": "yes"}, "reply": {"content": "x"}}]}, "match.has_tools"),
    ({"rule": [{"name": "a", "times": 0, "reply": {"content": "x"}}]}, "rule 'a'.times"),
    ({"rule": [{"name": "a", "reply": {}}]}, "rule 'a'.reply: needs content or tool_calls"),
    ({"rule": [{"name": "a", "reply": {"tool_calls": [{"arguments": {}}]}}]}, "reply.tool_calls[0].name"),
    ({"rule": [{"name": "a", "error": {"status": 200}}]}, "rule 'a'.error.status"),
    ({"rule": [{"name": "a", "hang": True, "reply": {"content": "x"}}]}, "hang rule never answers"),
    ({"rule": [{"name": "a", "replies": []}]}, "rule 'a'.replies"),
    ({"rule": [{"name": "a", "error": {"status": 500}, "usage": {"prompt_tokens": 1}}]}, "rule 'a'.usage"),
    ({"rule": [{"name": "a", "reply": {"content": "x", "usage": {"tokens": 1}}}]}, "reply.usage: unknown key"),
    ({"context_tokens": True}, "script.context_tokens: must be int"),
    ({"context_tokens": 0}, "context_tokens: must be at least 1"),
])
def test_malformed_scripts_name_the_bad_field(script, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(")):
        load_script(script)


def test_malformed_files(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[[rule]\nname = ")
    with pytest.raises(ValueError, match="broken.toml: not valid TOML"):
        load_script(broken)
    bad_field = tmp_path / "bad.json"
    bad_field.write_text(json.dumps({"rule": [{"name": "a", "delay": "soon", "reply": {"content": "x"}}]}))
    with pytest.raises(ValueError, match=r"bad.json: rule 'a'.delay: must be int or float"):
        load_script(bad_field)
    with pytest.raises(ValueError, match="must be a .toml or .json"):
        load_script(tmp_path / "x.yaml")


def test_concurrent_requests_respect_times_and_rotation(serve):
    script = {"rule": [{"name": "five", "times": 5, "reply": {"content": "five"}},
                       {"name": "ab", "replies": [{"content": "a"}, {"content": "b"}]}]}
    server, client = serve(script)
    answers: list[str | None] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(5):
            answer = ask(client)
            with lock:
                answers.append(answer)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counter(answers) == {"five": 5, "a": 18, "b": 17}
    assert len(server.requests) == 40 and server.hits("ab") == 35


def test_command_line_serves_until_interrupted(tmp_path):
    script = tmp_path / "s.toml"
    script.write_text('[[rule]]\nname = "cli"\nreply = { content = "from the cli" }\n')
    proc = subprocess.Popen([sys.executable, "-m", "dgm.models.scripted", str(script), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        client = openai.OpenAI(base_url=base_url, api_key="x", max_retries=0, timeout=5)
        assert ask(client) == "from the cli"
    finally:
        proc.send_signal(2)  # SIGINT, as Ctrl-C
        assert proc.wait(timeout=5) == 0
    bad = tmp_path / "bad.toml"
    bad.write_text("[[rule]]\n")
    result = subprocess.run([sys.executable, "-m", "dgm.models.scripted", str(bad)], capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 2 and "rule[0].name" in result.stderr and "Traceback" not in result.stderr


# -- injected faults ([faults]) ----------------------------------------------------------------------

def ask_through_faults(client: openai.OpenAI, n: int, **kwargs: Any) -> list[str | None]:
    """n answers, asking again after every 429/500 fault."""
    answers: list[str | None] = []
    while len(answers) < n:
        try:
            answers.append(ask(client, **kwargs))
        except (openai.RateLimitError, openai.InternalServerError):
            continue
    return answers


def test_faults_leave_times_and_rotation_as_a_fault_free_run_has_them(serve):
    rules = [{"name": "twice", "times": 2, "reply": {"content": "limited"}},
             {"name": "rotate", "replies": [{"content": "a"}, {"content": "b"}, {"content": "c"}]}]
    server, client = serve({"rule": rules, "faults": {"rate": 0.5, "seed": 3, "kinds": ["429", "500"]}})
    assert ask_through_faults(client, 7) == ["limited", "limited", "a", "b", "c", "a", "b"]
    faults = server.stats()["faults"]
    assert faults["429"] > 0 and faults["500"] > 0 and set(faults) == {"429", "500"}
    assert [r["fault"] for r in server.requests if r["rule"] == "fault"] == [
        k for r in server.requests if (k := r.get("fault"))]
    assert len(server.requests) == 7 + sum(faults.values()) and server.stats()["completions"] == 7
    # The same seed gives the same sequence of faults.
    again, client = serve({"rule": rules, "faults": {"rate": 0.5, "seed": 3, "kinds": ["429", "500"]}})
    ask_through_faults(client, 7)
    assert [r["rule"] + r.get("fault", "") for r in again.requests] == [r["rule"] + r.get("fault", "") for r in server.requests]


def test_a_rate_limit_fault_says_retry_after_zero(serve):
    server, _ = serve({"faults": {"rate": 1, "kinds": ["429"]}})
    raw = httpx.post(f"{server.base_url}/chat/completions", json={"model": "m", "messages": USER})
    assert raw.status_code == 429 and raw.headers["retry-after"] == "0"
    assert raw.json()["error"]["type"] == "rate_limit_error"


def test_a_malformed_fault_is_a_billed_answer_with_broken_tool_arguments(serve):
    rules = [{"name": "tool", "match": {"has_tools": True},
              "reply": {"tool_calls": [{"name": "edit", "arguments": {"path": "a.py", "text": "x = 1"}}]}},
             {"name": "text", "replies": [{"content": "first"}, {"content": "second"}]}]
    server, client = serve({"rule": rules, "faults": {"rate": 1, "kinds": ["malformed"]}})
    tools = [{"type": "function", "function": {"name": "edit", "parameters": {"type": "object"}}}]
    [call] = client.chat.completions.create(model="m", messages=USER, tools=tools).choices[0].message.tool_calls
    assert call.function.name == "edit" and call.function.arguments == '{"path": "a.py",'
    for expected in ("first", "second"):  # a malformed answer uses up the rule's answer
        message = client.chat.completions.create(model="m", messages=USER).choices[0].message
        assert message.content == expected
        [call] = message.tool_calls
        assert (call.function.name, call.function.arguments) == ("bash", '{"command": ')
    stats = server.stats()
    assert stats["faults"] == {"malformed": 3}  # the configured kinds and stats["completions"] == 3
    assert stats["usage_by_model"]["m"]["completion_tokens"] > 0
    assert [r["rule"] for r in server.requests] == ["tool", "text", "text"] and server.hits("text") == 2


def test_a_timeout_fault_hangs_then_drops_the_connection(serve):
    server, client = serve({"faults": {"rate": 1, "kinds": ["timeout"], "timeout_s": 0.3}})
    start = time.monotonic()
    with pytest.raises(openai.APIConnectionError) as info:
        ask(client)  # the client waits longer than the fault: it sees the connection dropped
    assert not isinstance(info.value, openai.APITimeoutError) and time.monotonic() - start >= 0.3
    _, impatient = serve({"faults": {"rate": 1, "kinds": ["timeout"], "timeout_s": 5}}, timeout=0.2)
    with pytest.raises(openai.APITimeoutError):
        ask(impatient)
    assert server.stats()["faults"]["timeout"] == 1 and server.stats()["completions"] == 0


def test_faults_only_for_the_listed_models(serve):
    server, client = serve({"faults": {"rate": 1, "kinds": ["500"], "models": ["flaky"]}})
    assert "no rule matched" in ask(client, model="solid")
    with pytest.raises(openai.InternalServerError):
        ask(client, model="flaky")
    assert server.stats()["usage_by_model"].keys() == {"solid"}


@pytest.mark.parametrize(("faults", "message"), [
    ({"rate": 0.1, "sed": 1}, "faults: unknown key 'sed'"),
    ({"seed": 1}, "faults.rate: required"),
    ({"rate": 1.5}, "faults.rate: must be from 0 to 1"),
    ({"rate": "often"}, "faults.rate: must be int or float"),
    ({"rate": 0.1, "kinds": ["503"]}, "faults.kinds: must be a non-empty subset"),
    ({"rate": 0.1, "kinds": []}, "faults.kinds: must be a non-empty subset"),
    ({"rate": 0.1, "timeout_s": 0}, "faults.timeout_s: must be positive"),
    ({"rate": 0.1, "seed": 1.5}, "faults.seed: must be int"),
    ({"rate": 0.1, "models": [1]}, "faults.models: must be a string or a list"),
    ("often", "faults: must be dict"),
])
def test_malformed_fault_tables_name_the_bad_field(faults, message):
    with pytest.raises(ValueError, match=message):
        load_script({"faults": faults})


def test_a_fault_table_in_toml(tmp_path):
    path = tmp_path / "f.toml"
    path.write_text('[faults]\nrate = 0.25\nseed = 9\nkinds = ["429", "timeout"]\ntimeout_s = 2\n')
    faults = load_script(path).faults
    assert (faults.rate, faults.seed, faults.kinds, faults.timeout_s, faults.models) == (0.25, 9, ("429", "timeout"), 2.0, ())
