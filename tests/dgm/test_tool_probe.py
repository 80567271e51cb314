"""`dgm doctor --model` against the real scripted OpenAI-compatible server, as a user runs it: one
probe with native tools, one asking for a call in text, read by the seed agent's own parser."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dgm.models.scripted import ScriptedModelServer

NATIVE_CALL = {"tool_calls": [{"name": "read_file", "arguments": {"path": "notes.txt"}}]}
TEXT_CALL = {"content": 'Sure.\n```json\n{"name": "read_file", "arguments": {"path": "notes.txt"}}\n```'}
ECHO = {"content": "I can read files."}


def doctor_model(server: ScriptedModelServer) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dgm", "doctor", "--model", "--base-url", server.base_url,
                           "--agent-model", "local-model", "--api-key-env", "DGM_TEST_NO_KEY"],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("native", "text", "advice"), [
    (NATIVE_CALL, TEXT_CALL, "use --tool-mode native"),
    (ECHO, TEXT_CALL, "use --tool-mode text"),  # llama.cpp with a template that drops tool calls
])
def test_doctor_model_says_which_tool_mode_works(native, text, advice):
    script = {"rule": [{"name": "native", "match": {"has_tools": True}, "reply": native},
                       {"name": "text", "match": {"has_tools": False}, "reply": text}]}
    with ScriptedModelServer(script) as server:
        proc = doctor_model(server)
        models = {r["model"] for r in server.requests}
        tools_sent = [bool(r.get("tools")) for r in server.requests]
        caps = {r.get("max_tokens") for r in server.requests}
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert advice in proc.stdout and "read_file" in proc.stdout
    assert models == {"local-model"} and sorted(tools_sent) == [False, True] and caps == {256}


def test_doctor_model_fails_when_no_tool_call_comes_back_either_way():
    with ScriptedModelServer({"rule": [{"name": "chat", "reply": ECHO}]}) as server:
        proc = doctor_model(server)
    assert proc.returncode == 1
    assert "no usable tool call either way" in proc.stderr and "no tool call" in proc.stdout


def test_doctor_model_on_a_server_that_refuses_tools_recommends_text():
    script = {"rule": [{"name": "no-tools", "match": {"has_tools": True},
                        "error": {"status": 400, "message": "tools are not supported"}},
                       {"name": "text", "reply": TEXT_CALL}]}
    with ScriptedModelServer(script) as server:
        proc = doctor_model(server)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "refused: HTTP 400" in proc.stdout and "use --tool-mode text" in proc.stdout


def test_doctor_model_on_an_unreachable_endpoint_is_one_line():
    proc = subprocess.run([sys.executable, "-m", "dgm", "doctor", "--model", "--base-url", "http://127.0.0.1:9/v1",
                           "--api-key-env", "DGM_TEST_NO_KEY"], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert proc.stderr.strip().startswith("error:") and "unreachable" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
