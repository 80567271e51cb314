"""A small coding agent: a language model fixes an issue in a repository with a bash tool and an editor.

    python3 coding_agent.py --problem-file PATH --repo DIR --outdir DIR [--max-steps N]
                            [--tool-mode auto|native|text] [--bash-timeout SECONDS]

Each step asks the model for its next move and runs every tool call in the reply. A reply without a
tool call ends the run once the repository has changed; before that it gets a short nudge (at most
twice in a row) unless it says DONE. A call made again right after itself, word for word, gets a note,
and is refused from its fourth time in a row. The message list is the transcript: it is written to
OUTDIR/transcript.json after every step, and OUTDIR/result.json says how the run ended, with counts
of the shapes the model's calls came in, the nudges and the repeated calls. docs/AGENT_CONTRACT.md in
the dgm project is the contract this command line keeps.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import prompts
import text_protocol
from errors import AgentStop, EchoedTools, FormatError, ModelError, NoChange, NoToolCalls, StepLimit, Submitted
from llm import TOOL_MODES, ModelClient, ModelConfig
from tools import Toolbox, truncate

# What result.json counts: each call by the shape it came in, and each reply refused as a tool list or garbled.
FORMATS = ("native", *text_protocol.SHAPES, "echoed_tools", "rejected")
DONE = re.compile(r"(?:\A|\n)[\W_]*done[\W_]*\Z", re.IGNORECASE)  # a last line that says DONE and nothing else
GIT_TIMEOUT_S = 30.0


@dataclass
class AgentConfig:
    max_steps: int = 30  # model calls, at most
    tool_mode: str = "auto"  # auto: native tool calls, falling back to the text protocol when needed
    max_nudges: int = 2  # replies in a row without a tool call, before any change, that get a nudge
    max_repeats: int = 3  # an exact call runs at most this often in a row; the next one is refused


class Agent:
    def __init__(self, model: ModelClient, toolbox: Toolbox, config: AgentConfig, transcript: Path | None) -> None:
        self.model, self.toolbox, self.config, self.transcript = model, toolbox, config, transcript
        self.mode = "text" if config.tool_mode == "text" else "native"
        self.history: list[dict[str, Any]] = []
        self.steps = 0
        self.formats = dict.fromkeys(FORMATS, 0)
        self.calls = self.nudges = self.repeated_calls = 0  # calls: the tool calls run (or refused)
        self.nudged = 0  # nudges since the last tool call
        self.last_call: tuple[str, str] | None = None  # (tool, arguments as JSON) of the previous call
        self.last_output = ""
        self.streak = 0  # how many times in a row last_call was made
        self.start_head: str | None = None

    def run(self, problem: str) -> tuple[str, str | None]:
        """Work on the problem until the loop stops; returns (status, error) for result.json."""
        instance = prompts.render(prompts.INSTANCE, problem=problem, repo=str(self.toolbox.repo))
        self.start_head = git_head(self.toolbox.repo)
        self.history = [{"role": "system", "content": self.system_prompt()}, {"role": "user", "content": instance}]
        while True:
            try:
                self.step()
            except FormatError as exc:
                self.history.append({"role": "user", "content": prompts.render(prompts.FORMAT_ERROR, error=str(exc))})
            except Submitted as stop:
                return stop.status, None
            except AgentStop as stop:
                return stop.status, str(stop)
            finally:
                self.save()

    def step(self) -> None:
        """One model call, then every tool call of its reply."""
        if self.steps >= self.config.max_steps:
            raise StepLimit(f"no submission within {self.config.max_steps} steps")
        self.steps += 1
        message = self.query()
        if message.get("tool_calls"):
            self.execute_native(message["tool_calls"])
            return
        calls = self.text_calls(message)
        if calls:
            self.execute_text(calls)
        else:
            self.no_tool_call(message["content"])

    def no_tool_call(self, content: str) -> None:
        """A reply without a tool call ends the run once the repository has changed: the work is done.
        Before that it gets a nudge, at most max_nudges in a row, unless the model says DONE."""
        if repo_changed(self.toolbox.repo, self.start_head):
            raise Submitted()
        done = DONE.search(content.strip())
        if not done and self.nudged < self.config.max_nudges:
            self.nudged += 1
            self.nudges += 1
            self.history.append({"role": "user", "content": prompts.NUDGE})
            return
        why = "the model said DONE" if done else f"{self.nudged + 1} replies in a row without a tool call"
        if self.calls:
            raise NoChange(f"{why}; the repository is unchanged")
        raise NoToolCalls(f"{why}; no usable tool call in the whole run")

    def query(self) -> dict[str, Any]:
        tools = self.toolbox.schemas if self.mode == "native" else None
        try:
            reply = self.model.chat(self.history, tools)
        except ModelError as exc:
            if not (tools and self.config.tool_mode == "auto" and exc.http_status == 400):
                raise
            self.switch_to_text()  # the server refuses the `tools` parameter
            reply = self.model.chat(self.history)
        message: dict[str, Any] = {"role": "assistant", "content": _text(reply.get("content"))}
        if reply.get("tool_calls"):
            message["tool_calls"] = reply["tool_calls"]
        self.history.append(message)
        return message

    def text_calls(self, message: dict[str, Any]) -> list[text_protocol.ToolCall]:
        """Tool calls written as text; in auto mode, writing them switches the run to text mode."""
        if self.mode == "native" and self.config.tool_mode != "auto":
            return []
        try:
            found = text_protocol.read(message["content"], self.toolbox.schemas)
        except FormatError as exc:
            self.formats["echoed_tools" if isinstance(exc, EchoedTools) else "rejected"] += 1
            self.switch_to_text()
            raise
        if found:
            self.switch_to_text()
            for shape, _ in found:
                self.formats[shape] += 1
            # Kept in the transcript (not sent to the model) so every step's calls are on record.
            message["parsed_tool_calls"] = [call._asdict() for _, call in found]
        return [call for _, call in found]

    def execute_native(self, tool_calls: list[dict[str, Any]]) -> None:
        for index, call in enumerate(tool_calls):
            function = call.get("function") or {}
            name = str(function.get("name") or "")
            arguments = _native_arguments(function.get("arguments"))
            output = self.run_tool(name, arguments) if isinstance(arguments, dict) else arguments
            self.formats["native"] += 1
            call["id"] = call.get("id") or f"call_{self.steps}_{index}"  # some servers omit it; replies need it
            self.history.append({"role": "tool", "tool_call_id": call["id"], "name": name, "content": output})

    def execute_text(self, calls: list[text_protocol.ToolCall]) -> None:
        results = [(call.name, self.run_tool(call.name, call.arguments)) for call in calls]
        self.history.append({"role": "user", "content": text_protocol.format_results(results)})

    def run_tool(self, name: str, arguments: dict[str, Any]) -> str:
        """The call's output. Made again right after itself, it gets a note; made more than
        max_repeats times in a row, it is not run and the model is told so."""
        call = (name, json.dumps(arguments, sort_keys=True, default=str))
        self.streak = self.streak + 1 if call == self.last_call else 1
        self.last_call = call
        self.calls += 1
        self.nudged = 0
        if self.streak == 1:
            self.last_output = self.toolbox.run(name, arguments)
            return self.last_output
        self.repeated_calls += 1
        if self.streak > self.config.max_repeats:
            return prompts.render(prompts.REPEAT_REFUSED, count=str(self.streak - 1),
                                  output=truncate(self.last_output, 2000))
        output = self.toolbox.run(name, arguments)
        same = " and got the same output as last time" if output == self.last_output else ""
        self.last_output = output
        note = prompts.render(prompts.REPEAT_NOTE, count=str(self.streak), same=same, limit=str(self.config.max_repeats))
        return f"{output}\n\n{note}"

    def switch_to_text(self) -> None:
        if self.mode != "text":
            self.mode = "text"
            self.history[0]["content"] = self.system_prompt()

    def system_prompt(self) -> str:
        if self.mode == "native":
            return prompts.render(prompts.SYSTEM_NATIVE, workflow=prompts.WORKFLOW)
        return prompts.render(prompts.SYSTEM_TEXT, workflow=prompts.WORKFLOW,
                              tools=text_protocol.describe_tools(self.toolbox.schemas))

    def save(self) -> None:
        if self.transcript is not None:
            write_json(self.transcript, self.history)

    def counts(self) -> dict[str, Any]:
        """What result.json reports besides the status."""
        return {"formats": dict(self.formats), "nudges": self.nudges, "repeated_calls": self.repeated_calls}


def git_head(repo: Path) -> str | None:
    try:
        return _git(repo, "rev-parse", "--verify", "-q", "HEAD").strip()
    except (OSError, subprocess.SubprocessError):
        return None


def repo_changed(repo: Path, start_head: str | None) -> bool:
    """Whether the repository differs from its committed start (dgm commits it before the agent runs):
    changed or new files, or a commit since. True when git cannot tell (no repository, no git)."""
    try:
        if _git(repo, "status", "--porcelain").strip():
            return True
    except (OSError, subprocess.SubprocessError):
        return True
    return git_head(repo) != start_head


def _git(repo: Path, *args: str) -> str:
    # Only the repository itself (never one above it), and no index lock taken for a status.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CEILING_DIRECTORIES=str(repo.parent), GIT_OPTIONAL_LOCKS="0")
    return subprocess.run(["git", *args], cwd=repo, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, check=True, timeout=GIT_TIMEOUT_S).stdout


def _text(content: Any) -> str:
    if isinstance(content, list):  # content parts
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return "" if content is None else str(content)


def _native_arguments(raw: Any) -> dict[str, Any] | str:
    """The arguments as a dict, or an error message for the model."""
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw or "{}")
    except (TypeError, ValueError) as exc:
        return f"Error: the arguments are not valid JSON ({exc}); nothing was run."
    return value if isinstance(value, dict) else "Error: the arguments must be a JSON object; nothing was run."


def write_json(path: Path, data: Any) -> None:
    # Write-then-rename: a kill in the middle never leaves half a file.
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False))
    os.replace(tmp, path)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--problem-file", required=True, type=Path, help="the issue to solve")
    parser.add_argument("--repo", required=True, type=Path, help="the repository to work on")
    parser.add_argument("--outdir", required=True, type=Path, help="where transcript.json and result.json go")
    parser.add_argument("--max-steps", type=int, default=30, help="model calls at most (default 30)")
    parser.add_argument("--tool-mode", choices=TOOL_MODES, default=None,
                        help="how tools are offered (default: $DGM_TOOL_MODE, else auto)")
    parser.add_argument("--bash-timeout", type=float, default=60.0, help="seconds per bash command")
    return parser.parse_args(argv)


def _terminate(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwinds through the `finally`s, so result.json is still written


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.outdir.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, _terminate)
    result: dict[str, Any] = {"status": "error", "steps": 0, "error": None,
                              "tool_mode": "text" if args.tool_mode == "text" else "native",
                              "formats": dict.fromkeys(FORMATS, 0), "nudges": 0, "repeated_calls": 0}
    agent = None
    try:
        problem = args.problem_file.read_text()
        model_config = ModelConfig.from_env(os.environ)
        config = AgentConfig(max_steps=args.max_steps, tool_mode=args.tool_mode or model_config.tool_mode)
        result["tool_mode"] = "text" if config.tool_mode == "text" else "native"
        model = ModelClient(model_config)
        agent = Agent(model, Toolbox(args.repo, args.bash_timeout), config, args.outdir / "transcript.json")
        result["status"], result["error"] = agent.run(problem)
    except AgentStop as stop:  # before the loop, e.g. no model endpoint configured
        result["status"], result["error"] = stop.status, str(stop)
    except BaseException as exc:
        result["error"] = f"crashed: {type(exc).__name__}: {exc}"
        raise
    finally:
        if agent is not None:
            result.update(steps=agent.steps, tool_mode=agent.mode, **agent.counts())
        write_json(args.outdir / "result.json", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
