"""`dgm doctor --model`: does the endpoint's model call tools natively, in text, or not at all?

Two small requests, as the seed agent would send them: one with a `tools` parameter (native tool
calls), one asking for a call written in the reply. The text reply is read by the seed agent's own
parser (in a subprocess: the agent's modules import each other as top-level modules), so the
verdict is what the agent would make of it. Nothing is recorded in any archive.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai

from dgm.config import ModelConfig
from dgm.model_client import CallContext, ModelClient
from dgm.retry import upstream_message

SEED_AGENT = Path(__file__).parent / "seed_agent"
PROBE_FILE = "notes.txt"
TOOL = {"type": "function", "function": {
    "name": "read_file", "description": "Read a file of the repository and return its text.",
    "parameters": {"type": "object", "properties": {"path": {"type": "string", "description": "the file's path"}},
                   "required": ["path"]}}}
TASK = f"Read the file {PROBE_FILE} with the read_file tool. Do not answer anything else."
TEXT_SYSTEM = ("You can call one tool, read_file(path). To call it, write exactly\n"
               '<tool_call>{"name": "read_file", "arguments": {"path": "..."}}</tool_call>\n'
               "in your reply and nothing else.")
PROBE_MAX_TOKENS = 256
PARSER = ("import json, sys; sys.path.insert(0, sys.argv[1]); import text_protocol\n"
          "calls = text_protocol.parse(sys.stdin.read())\n"
          "print(json.dumps([[c.name, c.arguments] for c in calls]))")


@dataclass(frozen=True)
class Probe:
    mode: str  # native | text
    ok: bool
    detail: str  # what came back, in a line
    seconds: float
    completion_tokens: int


@dataclass(frozen=True)
class ToolReport:
    probes: list[Probe]

    @property
    def recommended(self) -> str | None:
        """The --tool-mode to use: native when it works, else text, else None (neither did)."""
        return next((p.mode for p in self.probes if p.ok), None)


def probe_tool_calls(config: ModelConfig, api_key: str | None, model: str | None = None) -> ToolReport:
    client = ModelClient(config.model_copy(update={"max_retries": 1}), api_key, archive=None)
    try:
        client.check_reachable()
        name = model or config.agent_model
        return ToolReport([_native(client, name), _text(client, name)])
    finally:
        client.close()


def _native(client: ModelClient, model: str) -> Probe:
    start = time.monotonic()
    try:
        reply = client.chat(CONTEXT, model, messages=[{"role": "user", "content": TASK}], tools=[TOOL],
                            tool_choice="auto", max_tokens=PROBE_MAX_TOKENS)
    except openai.APIStatusError as exc:  # e.g. a server that does not take `tools`
        return Probe("native", False, f"refused: HTTP {exc.status_code} {_short(upstream_message(exc))}",
                     time.monotonic() - start, 0)
    message, tokens = _message(reply)
    calls = message.get("tool_calls") or []
    seconds = time.monotonic() - start
    if not calls:
        return Probe("native", False, f"no tool call; the reply said: {_short(message.get('content'))}", seconds, tokens)
    function = calls[0].get("function") or {}
    try:
        arguments = json.loads(function.get("arguments") or "{}")
    except ValueError:
        return Probe("native", False, f"a tool call with arguments that are not JSON: {_short(function.get('arguments'))}",
                     seconds, tokens)
    ok = function.get("name") == "read_file" and isinstance(arguments, dict) and PROBE_FILE in str(arguments.get("path"))
    return Probe("native", ok, f"called {function.get('name')}({_short(json.dumps(arguments))})", seconds, tokens)


def _text(client: ModelClient, model: str) -> Probe:
    start = time.monotonic()
    reply = client.chat(CONTEXT, model, messages=[{"role": "system", "content": TEXT_SYSTEM}, {"role": "user", "content": TASK}],
                        max_tokens=PROBE_MAX_TOKENS)
    message, tokens = _message(reply)
    content = str(message.get("content") or "")
    seconds = time.monotonic() - start
    parsed = subprocess.run([sys.executable, "-c", PARSER, str(SEED_AGENT)], input=content, capture_output=True,
                            text=True, timeout=30)
    if parsed.returncode != 0:
        reason = (parsed.stderr.strip().splitlines() or ["the agent's parser failed"])[-1]
        return Probe("text", False, f"a garbled call ({_short(reason)}): {_short(content)}", seconds, tokens)
    calls = json.loads(parsed.stdout)
    if not calls:
        return Probe("text", False, f"no tool call in the reply: {_short(content)}", seconds, tokens)
    name, arguments = calls[0]
    ok = name == "read_file" and PROBE_FILE in str(arguments.get("path"))
    return Probe("text", ok, f"called {name}({_short(json.dumps(arguments))})", seconds, tokens)


CONTEXT = CallContext(run_id=None, agent_id=None, task_id=None, purpose="doctor")


def _message(reply: dict[str, Any]) -> tuple[dict[str, Any], int]:
    choices = reply.get("choices") or [{}]
    usage = reply.get("usage") or {}
    return choices[0].get("message") or {}, int(usage.get("completion_tokens") or 0)


def _short(text: Any, limit: int = 120) -> str:
    line = " ".join(str(text or "").split())
    return line if len(line) <= limit else line[:limit] + "…"
