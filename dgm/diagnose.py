"""Diagnosis: a strong model reads one failure of the parent and writes the issue its child implements.

The target is one unresolved task of the parent, or one of the paper's special entries when the
evidence calls for it: empty patches, context-length overflows, run-to-run variance.

The prompt is sized to the diagnosis model's context window (dgm/context_window.py): the messages fit
the window less the answer's reserve (`output_reserve`), at CHARS_PER_TOKEN_LOWER_BOUND characters a
token. The problem statement and the instructions are never cut; the code listing, the transcript, the
patch and the test results share the rest (the files the failure names first), each cut to its head
and tail with a marker saying what was cut. In a large window each keeps its own cap, as before.
The answer is read leniently and, when unusable, asked for once more with the reason shown.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError, field_validator

from benchmarks.task import Task
from dgm.budget import CHARS_PER_TOKEN_LOWER_BOUND

if TYPE_CHECKING:  # the expand job imports this module: it needs neither the archive nor the model client
    from archive_db import Evaluation
    from dgm.model_client import CallContext, ModelClient

PROMPTS = Path(__file__).parent / "prompts"
EMPTY, CONTEXT, STOCHASTIC = "solve_empty_patches", "solve_contextlength", "solve_stochasticity"
SPECIAL = (EMPTY, CONTEXT, STOCHASTIC)
MAX_CODE_CHARS = 60_000
MAX_TRANSCRIPT_CHARS = 30_000
MAX_MESSAGE_CHARS = 4_000  # of one transcript message
# The answer's reserve: a quarter of the window, at least this many tokens (sent as max_tokens to a
# server that said its window: llama.cpp, vLLM and LM Studio take it).
MIN_OUTPUT_TOKENS = 1_024
# Kept free in the first request for the retry's two messages: the unusable answer (cut to
# ANSWER_ECHO_CHARS) and the reason it was unusable.
RETRY_CHARS = 1_200
ANSWER_ECHO_CHARS = 600
MAX_REASON_CHARS = 200
RETRIES = 1  # an unusable answer is asked for again this many times, then the attempt is rejected
MAX_KEPT_ANSWER_CHARS = 4_000  # what a rejected attempt keeps of the model's answers (the dashboard shows it)
# How the parts that may be cut share the room the rest leaves (a part that needs less gives the
# others the difference), and what their markers call them.
SHARES = {"agent_code": 4, "transcript": 3, "patch": 2, "test_results": 1}
WHAT = {"transcript": "the transcript", "patch": "the patch", "test_results": "the test results"}
MIN_FILE_CHARS = 400  # a file cut to less than this is only named
MAX_SCANNED_OBJECTS = 200  # "{" positions tried when looking for the answer's JSON object
THINKING = re.compile(r"<think>.*?(</think>|$)", re.DOTALL)  # a reasoning model's thoughts (drafts, braces)


class Diagnosis(BaseModel):
    log_summarization: str = ""
    potential_improvements: list[str] | str = []
    improvement_proposal: str
    implementation_suggestion: str = ""
    problem_description: str

    @field_validator("log_summarization", "improvement_proposal", "implementation_suggestion", "problem_description",
                     mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        """A small model may answer a field as an object or a list: its JSON is the text."""
        return json.dumps(value) if isinstance(value, dict | list) else value

    @field_validator("potential_improvements", mode="before")
    @classmethod
    def _items(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [v if isinstance(v, str) else json.dumps(v) for v in value]
        return value

    @field_validator("improvement_proposal", "problem_description")
    @classmethod
    def _said(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value


class DiagnosisError(Exception):
    """The model's answer was not the JSON object we asked for; `answers` are the model's texts."""

    def __init__(self, reason: str, answers: list[str] | None = None) -> None:
        super().__init__(reason)
        self.answers = answers or []

    def kept(self) -> str:
        """The model's answers as a rejected attempt keeps them, bounded."""
        each = MAX_KEPT_ANSWER_CHARS // max(1, len(self.answers)) - 60
        return "\n\n".join(f"--- the diagnosis model's answer {i} of {len(self.answers)} ---\n{clip(text, each, 'the answer')}"
                           for i, text in enumerate(self.answers, 1))


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


# -- sizing ------------------------------------------------------------------------------------------

def output_reserve(context_tokens: int) -> int:
    """The tokens kept for the diagnosis answer."""
    return max(MIN_OUTPUT_TOKENS, context_tokens // 4)


def prompt_chars(context_tokens: int) -> int:
    """The most characters the diagnosis request's messages may hold, its retry included."""
    return max(0, context_tokens - output_reserve(context_tokens)) * CHARS_PER_TOKEN_LOWER_BOUND


def clip(text: str, limit: int, what: str) -> str:
    """``text`` if it has at most ``limit`` characters, else its head and tail (whole lines where they
    allow) around a marker saying how much of ``what`` was cut; never longer than ``limit``."""
    if len(text) <= limit:
        return text
    keep = limit - len(f"\n[... {len(text):,} characters of {what} cut ...]\n")
    if keep <= 0:
        return f"[{what} cut]"[: max(0, limit)]
    head, tail = text[: keep - keep // 2], text[len(text) - keep // 2 :] if keep // 2 else ""
    if "\n" in head[len(head) // 2 :]:
        head = head[: head.rindex("\n") + 1]
    if "\n" in tail[: len(tail) // 2]:
        tail = tail[tail.index("\n") + 1 :]
    return f"{head.rstrip(chr(10))}\n[... {len(text) - len(head) - len(tail):,} characters of {what} cut ...]\n{tail}"


def _fill(room: int, needs: dict[str, int], weights: dict[str, float]) -> dict[str, int]:
    """Share ``room`` by weight: a part that needs less than its share gets what it needs, and the rest
    goes to the others."""
    shares: dict[str, int] = {}
    left, open_ = max(0, room), dict(needs)
    while open_:
        total = sum(weights[k] for k in open_)
        settled = {k: n for k, n in open_.items() if n <= left * weights[k] / total}
        if not settled:
            shares.update({k: int(left * weights[k] / total) for k in open_})
            break
        for key, need in settled.items():
            shares[key] = need
            left -= need
            del open_[key]
    return shares


# -- the parts ---------------------------------------------------------------------------------------

def _agent_files(code_dir: Path) -> list[tuple[str, str]]:
    files = sorted(p for p in code_dir.rglob("*.py") if "__pycache__" not in p.parts)
    files.sort(key=lambda p: ("tests" in p.relative_to(code_dir).parts, str(p)))
    return [(str(p.relative_to(code_dir)), p.read_text(errors="replace")) for p in files]


def _section(name: str, text: str) -> str:
    return f"## {name}\n```python\n{text}\n```\n"


def _mentions(name: str, evidence: str) -> int:
    """How often the evidence names the file (as ``tools.py`` or ``/agent/tools.py``, not ``test_tools.py``)."""
    return len(re.findall(rf"(?<![\w.-]){re.escape(name)}(?!\w)", evidence))


def agent_code_listing(code_dir: Path, limit: int = MAX_CODE_CHARS, evidence: str = "") -> str:
    """The agent's source as one markdown document of at most ``limit`` characters: the files the
    evidence (the failure's transcript, results, problem) names first, the others in path order, tests
    last. Each file is shown whole while it fits, the first that does not is cut to its head and tail,
    and those after it with no room left are named with their size."""
    files = _agent_files(code_dir)
    sections = {name: _section(name, text) for name, text in files}
    whole = "\n".join(sections.values())
    if len(whole) <= limit:
        return whole
    mentioned = {name: _mentions(name, evidence) for name, _ in files}
    files.sort(key=lambda f: -mentioned[f[0]])  # stable: the usual order among equals
    notes = {name: f"## {name}\n(omitted for length: {len(text):,} characters)\n" for name, text in files}
    left = limit - sum(len(note) + 1 for note in notes.values())
    if left < 0:  # too little room even to name each file
        return clip(f"## Not shown for length: {', '.join(notes)}\n", max(0, limit), "the list")
    parts = []
    for name, text in files:
        left += len(notes[name]) + 1  # the room kept for naming it is its own
        room = left - 1 - len(_section(name, ""))
        if len(sections[name]) + 1 <= left:
            part = sections[name]
        elif room >= MIN_FILE_CHARS:
            part = _section(name, clip(text, room, name))
        else:
            part = notes[name]
        parts.append(part)
        left -= len(part) + 1
    return "\n".join(parts)


def render_transcript(transcript_json: str | None, limit: int = MAX_TRANSCRIPT_CHARS) -> str:
    """The transcript as text, each message cut to a share of ``limit`` and the whole to ``limit``: both
    ends are kept, as the start shows the plan and the end how it failed."""
    try:
        messages = json.loads(transcript_json or "[]")
    except ValueError:
        messages = []
    each = min(MAX_MESSAGE_CHARS, max(400, limit // 6))
    lines = []
    for m in messages if isinstance(messages, list) else []:
        if not isinstance(m, dict):
            continue
        content = m.get("content") or ""
        if m.get("tool_calls"):
            content += "\n" + json.dumps(m["tool_calls"])[:each]
        lines.append(f"[{m.get('role', '?')}] {str(content)[:each]}")
    return clip("\n".join(lines) or "(no transcript)", limit, "the transcript")


def run_summary(result: dict[str, Any]) -> str:
    """One line on how the agent's run ended, from its result.json's fields (those dgm keeps)."""
    parts = [f"agent ended: {result['status']}"] if result.get("status") else []
    formats = result.get("formats")
    if isinstance(formats, dict) and formats:
        counts = sorted(((str(k), v) for k, v in formats.items() if isinstance(v, int) and v), key=lambda kv: (-kv[1], kv[0]))
        if counts:
            parts.append("tool-call formats: " + ", ".join(f"{k} {v}" for k, v in counts))
    for key, label in (("nudges", "nudges"), ("repeated_calls", "repeated calls")):
        if isinstance(result.get(key), int) and result[key]:
            parts.append(f"{label} {result[key]}")
    return "; ".join(parts)


def _outcome(evaluation: Evaluation | None) -> str:
    """The run summary of an evaluation: its agent_status and agent_counts (what it keeps of result.json)."""
    if evaluation is None:
        return ""
    try:
        counts = json.loads(getattr(evaluation, "agent_counts", None) or "{}")
    except ValueError:
        counts = {}
    line = run_summary({**(counts if isinstance(counts, dict) else {}), "status": evaluation.agent_status})
    return f"({line})" if line else ""


# -- the request -------------------------------------------------------------------------------------

def brief(target: str, evaluations: list[Evaluation], tasks: dict[str, Task], context_tokens: int | None = None,
          send_cap: bool = False) -> dict[str, Any]:
    """What the diagnosis prompt says about ``target`` (its template and values), all but the agent's
    code: the coordinator reads it from the archive, the expand job adds the code it has checked out.
    With ``context_tokens`` the job sizes the prompt to that window; ``send_cap``: the answer's reserve
    is sent as the call's max_tokens."""
    n = len(evaluations)
    limit = MAX_TRANSCRIPT_CHARS
    if context_tokens is not None:  # about its share of the window: each message is cut to fit it
        weights = SHARES["transcript"] + SHARES["agent_code"] + (0 if target in SPECIAL else SHARES["patch"] + SHARES["test_results"])
        limit = min(limit, prompt_chars(context_tokens) * SHARES["transcript"] // weights)
    if target in SPECIAL:
        pick = {EMPTY: lambda e: e.empty_patch, CONTEXT: lambda e: e.agent_status == "context_length"}.get(target, lambda e: not e.resolved)
        sample = next((e for e in evaluations if pick(e)), evaluations[0] if evaluations else None)
        name = {EMPTY: "diagnose_empty_patches", CONTEXT: "diagnose_contextlength", STOCHASTIC: "diagnose_stochasticity"}[target]
        values = {"n_total": n, "transcript": render_transcript(sample.transcript_json if sample else None, limit),
                  "run_summary": _outcome(sample),
                  "n_empty": sum(e.empty_patch for e in evaluations),
                  "n_context": sum(e.agent_status == "context_length" for e in evaluations)}
        template = name
    else:
        ev = next(e for e in evaluations if e.task_id == target)
        results = json.loads(ev.test_results_json or "{}")
        values = {"problem": tasks[target].problem if target in tasks else target,
                  "transcript": render_transcript(ev.transcript_json, limit), "run_summary": _outcome(ev),
                  "patch": ev.patch or "(empty patch)",
                  "test_results": "\n".join(f"- {k}: {v}" for k, v in results.items()) or (ev.error or "(no results)")}
        template = "diagnose_task"
    sizing = {"context_tokens": context_tokens,
              "max_tokens": output_reserve(context_tokens) if context_tokens is not None and send_cap else None}
    return {"template": template, "values": values, **sizing}


def messages(diagnosis_brief: dict[str, Any], code_dir: Path) -> list[dict[str, str]]:
    """The diagnosis request: the brief's prompt with the agent's code listed in it, sized to the
    brief's context window (room kept for one retry)."""
    template, values = diagnosis_brief["template"], dict(diagnosis_brief["values"])
    system = prompt("diagnose_system")
    cut = [k for k in SHARES if k in values or k == "agent_code"]
    evidence = "\n".join(str(v) for v in values.values())
    needs = {k: len(str(values[k])) for k in cut if k != "agent_code"}
    needs["agent_code"] = min(MAX_CODE_CHARS, len("\n".join(_section(n, t) for n, t in _agent_files(code_dir))))
    tokens = diagnosis_brief.get("context_tokens")
    if tokens is None:
        limits = needs
    else:
        fixed = len(system) + len(prompt(template, **{**values, **dict.fromkeys(cut, "")}))
        limits = _fill(prompt_chars(tokens) - RETRY_CHARS - fixed, needs, {k: SHARES[k] for k in cut})
    for key in cut:
        if key == "agent_code":
            values[key] = agent_code_listing(code_dir, limit=limits[key], evidence=evidence)
        else:
            values[key] = clip(str(values[key]), limits[key], WHAT[key])
    return [{"role": "system", "content": system}, {"role": "user", "content": prompt(template, **values)}]


def build_messages(target: str, code_dir: Path, evaluations: list[Evaluation], tasks: dict[str, Task],
                   context_tokens: int | None = None) -> list[dict[str, str]]:
    return messages(brief(target, evaluations, tasks, context_tokens), code_dir)


# -- the answer --------------------------------------------------------------------------------------

def parse_diagnosis(text: str) -> Diagnosis:
    """Lenient: the first JSON object with the expected keys, bare, in a ``` fence or amid prose (a
    reasoning model's <think> block is skipped: it may hold drafts)."""
    text = THINKING.sub("", text)
    decoder, found = json.JSONDecoder(), None
    for i, start in enumerate(m.start() for m in re.finditer(r"\{", text)):
        if i >= MAX_SCANNED_OBJECTS:
            break
        try:
            data, _ = decoder.raw_decode(text, start)
            return Diagnosis.model_validate(data)
        except ValidationError as exc:  # a ValueError too: caught first
            found = found or exc
        except (ValueError, RecursionError):
            continue
    if found is not None:
        first = found.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the object"
        raise DiagnosisError(f"the JSON object's {where}: {first['msg'].lower()}")
    if "{" in text:
        raise DiagnosisError("the answer holds no complete JSON object (check the quotes, commas and braces)")
    raise DiagnosisError("the answer holds no JSON object")


def answer_text(response: dict[str, Any]) -> str:
    return (response.get("choices") or [{}])[0].get("message", {}).get("content") or ""


def _unusable(error: DiagnosisError, response: dict[str, Any]) -> str:
    if (response.get("choices") or [{}])[0].get("finish_reason") == "length":
        return f"{error} (the answer was cut off at the output limit: keep it shorter)"
    return str(error)


def retry_messages(answer: str, reason: str) -> list[dict[str, str]]:
    """What follows an unusable answer: the answer (cut) and the reason, as a user message."""
    return [{"role": "assistant", "content": clip(answer, ANSWER_ECHO_CHARS, "your answer") or "(empty)"},
            {"role": "user", "content": prompt("diagnose_retry", reason=clip(reason, MAX_REASON_CHARS, "the reason"))}]


def ask(send: Callable[[list[dict[str, str]]], dict[str, Any]], request: list[dict[str, str]]) -> Diagnosis:
    """The diagnosis ``send`` gets for ``request`` (``send`` returns the chat completion, or raises); an
    unusable answer is asked for again RETRIES times with the reason shown, then DiagnosisError, which
    carries the answers."""
    answers: list[str] = []
    for _ in range(1 + RETRIES):
        response = send(request)
        text = answer_text(response)
        try:
            return parse_diagnosis(text)
        except DiagnosisError as exc:
            reason = _unusable(exc, response)
            answers.append(text)
            request = [*request, *retry_messages(text, reason)]
    raise DiagnosisError(f"the diagnosis was unusable, also when asked again: {reason}", answers)


def diagnose(client: ModelClient, ctx: CallContext, model: str, request: list[dict[str, str]]) -> Diagnosis:
    return ask(lambda m: client.chat(ctx, model, messages=m), request)


def self_modify_problem(d: Diagnosis) -> str:
    return prompt("self_modify", problem_description=d.problem_description, implementation_suggestion=d.implementation_suggestion or "(none)")
