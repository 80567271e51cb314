"""Diagnosis: a strong model reads one failure of the parent and writes the issue its child implements.

The target is one unresolved task of the parent, or one of the paper's special entries when the
evidence calls for it: empty patches, context-length overflows, run-to-run variance.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from benchmarks.task import Task

if TYPE_CHECKING:  # the expand job imports this module: it needs neither the archive nor the model client
    from archive_db import Evaluation
    from dgm.model_client import CallContext, ModelClient

PROMPTS = Path(__file__).parent / "prompts"
EMPTY, CONTEXT, STOCHASTIC = "solve_empty_patches", "solve_contextlength", "solve_stochasticity"
SPECIAL = (EMPTY, CONTEXT, STOCHASTIC)
MAX_CODE_CHARS = 60_000
MAX_TRANSCRIPT_CHARS = 30_000


class Diagnosis(BaseModel):
    log_summarization: str = ""
    potential_improvements: list[str] | str = []
    improvement_proposal: str
    implementation_suggestion: str = ""
    problem_description: str


class DiagnosisError(Exception):
    """The model's answer was not the JSON object we asked for."""


def prompt(name: str, **values: Any) -> str:
    return Template((PROMPTS / f"{name}.md").read_text()).safe_substitute(**{k: str(v) for k, v in values.items()})


def choose_target(evaluations: list[Evaluation], rng: random.Random) -> str:
    """The task id (or special entry) the next diagnosis looks at. Cheating-canary checks are no
    failure to learn from: an honest agent never solves one."""
    evaluations = [e for e in evaluations if not e.canary]
    if not evaluations:
        return STOCHASTIC
    n = len(evaluations)
    n_context = sum(e.agent_status == "context_length" for e in evaluations)
    n_empty = sum(e.empty_patch for e in evaluations)
    unresolved = sorted({e.task_id for e in evaluations if not e.resolved})
    if n_context and rng.random() < 0.5:
        return CONTEXT
    if n_empty / n >= 0.1 and rng.random() < 0.25:
        return EMPTY
    if not unresolved or rng.random() < 0.1:
        return STOCHASTIC
    return rng.choice(unresolved)


def agent_code_listing(code_dir: Path) -> str:
    """The agent's source as one markdown document, tests last, truncated to a budget."""
    files = sorted(p for p in code_dir.rglob("*.py") if "__pycache__" not in p.parts)
    files.sort(key=lambda p: ("tests" in p.relative_to(code_dir).parts, str(p)))
    parts, size = [], 0
    for path in files:
        text = f"## {path.relative_to(code_dir)}\n```python\n{path.read_text(errors='replace')}\n```\n"
        if size + len(text) > MAX_CODE_CHARS:
            parts.append(f"## {path.relative_to(code_dir)}\n(omitted for length)\n")
            continue
        parts.append(text)
        size += len(text)
    return "\n".join(parts)


def render_transcript(transcript_json: str | None, limit: int = MAX_TRANSCRIPT_CHARS) -> str:
    try:
        messages = json.loads(transcript_json or "[]")
    except ValueError:
        messages = []
    lines = []
    for m in messages if isinstance(messages, list) else []:
        if not isinstance(m, dict):
            continue
        content = m.get("content") or ""
        if m.get("tool_calls"):
            content += "\n" + json.dumps(m["tool_calls"])[:4000]
        lines.append(f"[{m.get('role', '?')}] {str(content)[:4000]}")
    text = "\n".join(lines) or "(no transcript)"
    # Keep both ends: the start shows the plan, the end shows how it failed.
    return text if len(text) <= limit else text[: limit // 2] + "\n[... truncated ...]\n" + text[-limit // 2 :]


def brief(target: str, evaluations: list[Evaluation], tasks: dict[str, Task]) -> dict[str, Any]:
    """What the diagnosis prompt says about ``target`` (its template and values), all but the agent's
    code: the coordinator reads it from the archive, the expand job adds the code it has checked out."""
    n = len(evaluations)
    if target in SPECIAL:
        pick = {EMPTY: lambda e: e.empty_patch, CONTEXT: lambda e: e.agent_status == "context_length"}.get(target, lambda e: not e.resolved)
        sample = next((e for e in evaluations if pick(e)), evaluations[0] if evaluations else None)
        name = {EMPTY: "diagnose_empty_patches", CONTEXT: "diagnose_contextlength", STOCHASTIC: "diagnose_stochasticity"}[target]
        values = {"n_total": n, "transcript": render_transcript(sample.transcript_json if sample else None),
                  "n_empty": sum(e.empty_patch for e in evaluations),
                  "n_context": sum(e.agent_status == "context_length" for e in evaluations)}
        return {"template": name, "values": values}
    ev = next(e for e in evaluations if e.task_id == target)
    results = json.loads(ev.test_results_json or "{}")
    values = {"problem": tasks[target].problem if target in tasks else target, "transcript": render_transcript(ev.transcript_json),
              "patch": ev.patch or "(empty patch)",
              "test_results": "\n".join(f"- {k}: {v}" for k, v in results.items()) or (ev.error or "(no results)")}
    return {"template": "diagnose_task", "values": values}


def messages(diagnosis_brief: dict[str, Any], code_dir: Path) -> list[dict[str, str]]:
    """The diagnosis request: the brief's prompt with the agent's code listed in it."""
    user = prompt(diagnosis_brief["template"], agent_code=agent_code_listing(code_dir), **diagnosis_brief["values"])
    return [{"role": "system", "content": prompt("diagnose_system")}, {"role": "user", "content": user}]


def build_messages(target: str, code_dir: Path, evaluations: list[Evaluation], tasks: dict[str, Task]) -> list[dict[str, str]]:
    return messages(brief(target, evaluations, tasks), code_dir)


def parse_diagnosis(text: str) -> Diagnosis:
    """Lenient: the JSON may sit in a fenced block or amid prose."""
    candidates = re.findall(r"```(?:json)?\s*(\{.*?\})\s*```", text, re.DOTALL)
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        candidates.append(text[start : end + 1])
    for raw in candidates:
        try:
            data = json.loads(raw)
            return Diagnosis.model_validate(data)
        except (ValueError, ValidationError):
            continue
    raise DiagnosisError("the diagnosis was not a JSON object with improvement_proposal and problem_description")


def diagnose(client: ModelClient, ctx: CallContext, model: str, request: list[dict[str, str]]) -> Diagnosis:
    response = client.chat(ctx, model, messages=request)
    return parse_diagnosis(answer_text(response))


def answer_text(response: dict[str, Any]) -> str:
    return (response.get("choices") or [{}])[0].get("message", {}).get("content") or ""


def self_modify_problem(d: Diagnosis) -> str:
    return prompt("self_modify", problem_description=d.problem_description, implementation_suggestion=d.implementation_suggestion or "(none)")
