"""The offline demo: a scripted model that plays both the diagnosis model and the agents' model.

The script is generated from the built-in suite so it always matches it. It makes evolution visible
without any API: the seed agent solves only the easy tasks; a diagnosis proposes "verify before
finishing", the self-edit adds that to the agent's system prompt, and agents carrying it solve the
medium tasks too ("review your patch" unlocks the hard ones). One diagnosis leads to a self-edit that
breaks the agent's code (rejected by the validity gate) and one to no edit at all (rejected as empty).
Everything else is real: sandbox, gateway, grader, archive, git lineage.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from typing import Any

from benchmarks.registry import load_benchmark
from benchmarks.task import Task
from dgm.config import Price, RunConfig
from dgm.models.scripted import ScriptedModelServer

AGENT_MODEL = "dgm-demo-agent"
DIAGNOSIS_MODEL = "dgm-demo-diagnoser"
# Illustrative prices so the demo shows cost accounting; no money is spent.
DEMO_PRICES = {AGENT_MODEL: Price(input=0.5, output=1.5), DIAGNOSIS_MODEL: Price(input=1.0, output=4.0)}
VERIFY = "Before you finish, run the repository's tests and make sure they pass."
REVIEW = "Before you finish, review your whole diff with `git diff` and fix anything incomplete."
MARKERS = {"verify": VERIFY, "review": REVIEW}
# Which system-prompt line an agent needs to solve a task of each difficulty in the demo.
NEEDS = {"easy": None, "medium": VERIFY, "hard": REVIEW}
DIAGNOSIS_SYSTEM_SNIPPET = "expert in building autonomous coding agents"
NUDGE_SNIPPET = "Your reply had no tool call."  # from the seed agent's prompts.NUDGE


def _diagnosis(kind: str, proposal: str, detail: str) -> dict[str, Any]:
    return {"content": json.dumps({
        "log_summarization": "The agent stopped after its first edit without checking the result.",
        "potential_improvements": ["verify changes by running tests", "review the final diff", "better file viewing"],
        "improvement_proposal": proposal,
        "implementation_suggestion": detail,
        "problem_description": f"DEMO-CHANGE: {kind}. {proposal} {detail}",
    })}


def _call(command: str) -> dict[str, Any]:
    return {"tool_calls": [{"name": "bash", "arguments": {"command": command}}]}


def add_system_line_command(line: str) -> str:
    """A bash command that adds ``line`` to the start of every system prompt in prompts.py."""
    return (
        "cd /repo && python3 - <<'PY'\n"
        "import pathlib, re\n"
        "p = pathlib.Path('prompts.py')\n"
        "s = p.read_text()\n"
        "pattern = re.compile(r'^(SYSTEM\\w*\\s*=\\s*(?:\\(\\s*)?[rRfF]?(?:\"\"\"|\\'\\'\\'))', re.M)\n"
        f"s, n = pattern.subn(lambda m: m.group(1) + {line!r} + '\\n', s)\n"
        "assert n, 'no system prompt found'\n"
        "p.write_text(s)\n"
        "print('updated', n, 'system prompt(s)')\n"
        "PY"
    )


def _apply_patch_command(patch: str) -> str:
    return f"cd /repo && git apply --whitespace=nowarn <<'DGM_PATCH_EOF'\n{patch}DGM_PATCH_EOF\n"


def _problem_key(task: Task) -> str:
    # A line of the problem statement long enough to be unique to the task.
    return max(task.problem.splitlines(), key=len).strip()


def demo_script(tasks: list[Task]) -> dict[str, Any]:
    rules: list[dict[str, Any]] = [{
        "name": "diagnose",
        "match": {"system_contains": DIAGNOSIS_SYSTEM_SNIPPET},
        "replies": [
            _diagnosis("verify", "Make the agent verify its change before finishing.", "Add a line to the system prompt."),
            _diagnosis("break", "Add a helper to the agent's entry point.", "Append it to coding_agent.py."),
            _diagnosis("review", "Make the agent review its diff before finishing.", "Add a line to the system prompt."),
            _diagnosis("noop", "Consider the agent's code as it is.", "No change may be needed."),
        ],
    }]
    for kind, line in MARKERS.items():
        rules.append({"name": f"self-edit-{kind}", "match": {"contains": f"DEMO-CHANGE: {kind}", "turn": 0},
                      "reply": _call(add_system_line_command(line))})
    rules.append({"name": "self-edit-break", "match": {"contains": "DEMO-CHANGE: break", "turn": 0},
                  "reply": _call("cd /repo && printf '\\ndef helper(:\\n    pass\\n' >> coding_agent.py")})
    rules.append({"name": "self-edit-noop", "match": {"contains": "DEMO-CHANGE: noop", "turn": 0},
                  "reply": {"content": "I read the code; it already does what the issue asks. No change needed."}})
    for task in tasks:
        needs = NEEDS.get(task.difficulty)
        solve = _call(_apply_patch_command(task.solution_patch or ""))
        if task.difficulty == "easy":
            # Easy tasks are answered in the text tool protocol, as many local servers' models do.
            args = solve["tool_calls"][0]
            call = json.dumps({"name": "bash", "arguments": args["arguments"]})
            solve = {"content": f"I will fix it.\n<tool_call>{call}</tool_call>"}
        match: dict[str, Any] = {"contains": _problem_key(task), "turn": 0}
        if needs:
            match["system_contains"] = needs
        rules.append({"name": f"solve-{task.id}", "match": match, "reply": solve})
        if needs == VERIFY:  # a "review" agent is thorough enough for the medium tasks too
            rules.append({"name": f"solve-{task.id}-review", "match": {**match, "system_contains": REVIEW}, "reply": solve})
        rules.append({"name": f"give-up-{task.id}", "match": {"contains": _problem_key(task), "turn": 0},
                      "reply": {"content": "I looked around but could not find the cause of this issue."}})
    # An agent nudges a reply without a tool call that changed nothing (the seed: "Your reply had no tool
    # call..."); the demo's agents that gave up or found nothing to change confirm it and stop.
    rules.append({"name": "nudged", "match": {"last_contains": NUDGE_SNIPPET, "turn": [1, 1000]},
                  "reply": {"content": "I could not make a change here.\nDONE"}})
    rules.append({"name": "finish", "match": {"turn": [1, 1000]},
                  "reply": {"content": "The change is made and checked; I am done."}})
    return {"default": {"content": "Nothing to do."}, "rule": rules}


def demo_config(config: RunConfig, stack: ExitStack) -> RunConfig:
    """Start the scripted model for this run and point the config at it."""
    tasks = load_benchmark(config.evaluation).tasks
    server = stack.enter_context(ScriptedModelServer(demo_script(tasks)))
    model = config.model.model_copy(update={
        "base_url": server.base_url, "agent_model": AGENT_MODEL, "diagnosis_model": DIAGNOSIS_MODEL,
        "prices": {**DEMO_PRICES, **config.model.prices}, "api_key_env": "DGM_DEMO_NO_KEY",
    })
    return config.model_copy(update={"model": model})
