"""What a job does, in the job's own process: containers and files, never the archive.

`evaluate` solves one task with one agent (an agent container on the task's repository, its model
reached through the coordinator's gateway socket) and grades the patch in a fresh container.
`expand` diagnoses a failure of the parent through the diagnosis socket, lets the editor agent edit a
copy of the parent's code, reports the self-edit as a patch, and gates the result (it imports, its
own tests pass). Each finished step is a message (`report`); the coordinator records it.

Nothing here holds an API key, writes the archive or agents.git, or decides what comes next.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.cache import GradeCache, grade_cached
from benchmarks.grader import GradeResult
from dgm.agent_run import SOCKET_NAME, ModelChannel, run_agent
from dgm.config import RunConfig
from dgm.diagnose import Diagnosis, DiagnosisError, ask, messages, self_modify_problem
from dgm.jobs import Channel, EvaluateJob, ExpandJob, JobContext
from dgm.validate import validate_agent
from kernel.git import extract_commit
from kernel.patches import PatchTooLarge, diff_trees, patch_hash, patch_stats
from sandbox.container import DockerSandbox
from sandbox.tario import scratch_dir

Report = Callable[[dict[str, Any]], None]
MAX_OUTPUT_CHARS = 200_000


def export(git_dir: str, commit: str, dest: Path) -> Path:
    """The files of ``commit`` in the run's agents.git, written into ``dest`` (git read-only)."""
    return extract_commit(Path(git_dir), commit, dest)


def _channel(channel: Channel) -> ModelChannel:
    return ModelChannel(channel.socket_dir, channel.model)


# -- evaluate ----------------------------------------------------------------------------------------

def evaluate(job: EvaluateJob, context: JobContext, sandbox: DockerSandbox, config: RunConfig, report: Report) -> dict[str, Any]:
    """Solve and grade; the result holds every field of the evaluation the coordinator records."""
    task, start = job.task, time.monotonic()
    labels = {"dgm.agent": str(job.agent_id), "dgm.task": task.id}
    with scratch_dir("job-", Path(context.work_dir)) as work:
        code = export(context.agents_git, job.commit, work / "agent")
        report({"type": "progress", "step": "solving"})
        outcome = run_agent(sandbox, config, code, task.repo_dir, task.problem, _channel(job.channel), work / "solve",
                            labels=labels, image=task.image)
        report({"type": "progress", "step": "solved"})
        empty = not outcome.patch.strip() and outcome.patch_error is None
        if outcome.patch_error:  # past sandbox.max_patch_bytes: recorded as an error, never graded
            result = GradeResult(resolved=False, error=f"{outcome.patch_error}; not graded")
        elif empty and not task.already_passing:  # a refactoring exercise is graded as left: not broken
            result = GradeResult(resolved=False, error="empty patch")
        else:
            result = _grade(sandbox, config, task, outcome.patch)
    return {
        "type": "result", "agent_id": job.agent_id, "task_id": task.id, "stage": job.stage, "canary": job.canary,
        "resolved": result.resolved and not result.tampered, "empty_patch": empty, "duration_s": time.monotonic() - start,
        "error": outcome.error or result.error, "agent_status": outcome.status, "patch": outcome.patch,
        "agent_counts": json.dumps(outcome.counts) if outcome.counts else None,
        "patch_hash": patch_hash(outcome.patch), "stripped_paths_json": json.dumps(result.stripped_paths),
        "test_output": result.output[-MAX_OUTPUT_CHARS:], "test_results_json": json.dumps(result.tests),
        "transcript_json": json.dumps(outcome.transcript), "task_hash": task.content_hash(), "exit_code": result.exit_code,
        "grade_cached": result.cached, "tampered": result.tampered,
    }


def _grade(sandbox: DockerSandbox, config: RunConfig, task, patch: str) -> GradeResult:
    """The configured grader: SWE-bench's official harness when chosen, otherwise ours (through the
    machine's grade cache)."""
    if task.benchmark == "swebench" and config.evaluation.swebench_grader == "official":
        from benchmarks.swebench import grade_official_one

        return grade_official_one(task, patch)
    return grade_cached(sandbox, task, patch, GradeCache() if config.evaluation.grade_cache else None)


# -- expand ------------------------------------------------------------------------------------------

class Outcome(Exception):
    """How an expansion ends before its gate: rejected (a verdict on the child), or cut off by the
    run (interrupted, the budget), which is no verdict at all. ``diagnosis_text``: the diagnosis
    model's unusable answers, which the rejected attempt keeps."""

    def __init__(self, outcome: str, reason: str, diagnosis_text: str | None = None) -> None:
        super().__init__(reason)
        self.outcome, self.reason, self.diagnosis_text = outcome, reason, diagnosis_text


def expand(job: ExpandJob, context: JobContext, sandbox: DockerSandbox, config: RunConfig, report: Report) -> dict[str, Any]:
    with scratch_dir("job-", Path(context.work_dir)) as work:
        parent = export(context.agents_git, job.parent_commit, work / "parent")
        try:
            child = (export(context.agents_git, job.child_commit, work / "child") if job.child_commit
                     else _self_modify(job, context, sandbox, config, parent, work, report))
        except Outcome as end:
            kept = {"diagnosis_text": end.diagnosis_text} if end.diagnosis_text else {}
            return {"type": "result", "outcome": end.outcome, "reason": end.reason, **kept}
        report({"type": "progress", "step": "validating"})
        problem = validate_agent(sandbox, child, config.sandbox.grade_timeout_s)
    if problem:
        return {"type": "result", "outcome": "rejected", "reason": problem}
    return {"type": "result", "outcome": "validated", "reason": None}


def _self_modify(job: ExpandJob, context: JobContext, sandbox: DockerSandbox, config: RunConfig, parent: Path,
                 work: Path, report: Report) -> Path:
    """Diagnose (unless a resumed job has the diagnosis), edit, report the self-edit; the child's tree."""
    if job.diagnosis_json:
        diagnosis = Diagnosis.model_validate_json(job.diagnosis_json)
    else:
        diagnosis = _diagnose(job, parent)
        report({"type": "diagnosed", "diagnosis_json": diagnosis.model_dump_json()})
    editor = parent if job.editor_commit == job.parent_commit else export(context.agents_git, job.editor_commit, work / "editor")
    report({"type": "progress", "step": "editing"})
    outcome = run_agent(sandbox, config, editor, parent, self_modify_problem(diagnosis), _channel(job.edit_channel),
                        work / "edit", labels={"dgm.agent": str(job.child_id), "dgm.role": "self_modify"})
    edit: dict[str, Any] = {"type": "self_edit", "transcript_json": json.dumps(outcome.transcript), "patch": ""}
    if outcome.patch_error or not outcome.patch.strip() or outcome.repo_after is None:
        report(edit)
        if outcome.patch_error:  # past sandbox.max_patch_bytes: never committed, reviewed or graded
            raise Outcome("rejected", f"self-edit too large: {outcome.patch_error}")
        raise Outcome("rejected", "empty self-edit" + (f" ({outcome.error})" if outcome.error else ""))
    try:  # the exact tree to commit: binary files and modes included
        edit["patch"] = diff_trees(parent, outcome.repo_after, config.sandbox.max_patch_bytes, binary=True)
    except PatchTooLarge as exc:
        report(edit)
        raise Outcome("rejected", f"self-edit too large: {exc}") from None
    stats = patch_stats(outcome.patch)
    edit.update(files=stats.files, added=stats.added, removed=stats.removed,
                message=f"agent {job.child_id}: {diagnosis.improvement_proposal[:72]}")
    report(edit)
    return outcome.repo_after


def _diagnose(job: ExpandJob, parent: Path) -> Diagnosis:
    """The diagnosis, asked through the diagnosis socket (once more when the answer is unusable)."""
    assert job.brief is not None, "an expansion without a diagnosis needs its brief"
    socket_path = Path(job.diagnose_channel.socket_dir) / SOCKET_NAME
    cap = {"max_tokens": job.brief["max_tokens"]} if job.brief.get("max_tokens") else {}
    context_tokens = job.brief.get("context_tokens")

    def send(request: list[dict[str, str]]) -> dict[str, Any]:
        status, body = _post(socket_path, {"messages": request, **cap})
        if status != 200:
            _call_failed(status, body, context_tokens)
        return body

    try:
        return ask(send, messages(job.brief, parent))
    except DiagnosisError as exc:
        raise Outcome("rejected", f"diagnosis unusable: {exc}", exc.kept()) from None


def _call_failed(status: int, body: dict[str, Any], context_tokens: int | None) -> None:
    """The Outcome of a diagnosis call the gateway answered with an error."""
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    code = error.get("code") or error.get("type")
    if code == "context_length_exceeded":
        sized = (f" (it was sized for {context_tokens:,} tokens: set model.context_tokens to the server's window)"
                 if context_tokens else "")
        raise Outcome("rejected", f"the diagnosis prompt does not fit the model's context{sized}")
    if code == "budget_exhausted":
        raise Outcome("budget", "the run's budget is spent")
    if code in ("endpoint_down", "cancelled"):
        raise Outcome("interrupted", f"the model endpoint is {'down' if code == 'endpoint_down' else 'closing'}")
    raise Outcome("rejected", f"diagnosis call failed: {status} {code or ''}".rstrip())


def _post(socket_path: Path, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """One chat completion through a gateway's Unix socket (it retries, pauses and bounds the call)."""

    class Unix(http.client.HTTPConnection):
        def connect(self) -> None:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.connect(str(socket_path))

    connection = Unix("gateway")
    try:
        connection.request("POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json"})
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    try:
        parsed = json.loads(data)
    except ValueError:
        parsed = {}
    return response.status, parsed if isinstance(parsed, dict) else {}
