"""One self-improvement attempt: diagnose a failure of the parent, let the parent edit a copy of its
own code in the sandbox, commit the result as the child, gate it, evaluate it, file it.

Every attempt leaves an agent row: filed (valid), rejected with its reason, or failed with the
error. Nothing is dropped. An attempt cut off by a stop or a crash stays "running" with its steps so
far, and the resumed run carries it on from there.
"""

from __future__ import annotations

import json
import shutil
import traceback
from pathlib import Path

import openai

from archive_db import Agent
from archive_db.schema import utcnow
from dgm import canaries
from dgm.agent_run import AgentOutcome, run_agent
from dgm.budget import BudgetExhausted
from dgm.diagnose import Diagnosis, DiagnosisError, build_messages, choose_target, diagnose, self_modify_problem
from dgm.errors import ContextOverflow, EndpointDown
from dgm.evaluate import evaluate_agent
from dgm.patches import patch_stats
from dgm.runtime import Interrupted, Runtime, Stalled
from dgm.validate import validate_agent


class Rejected(Exception):
    """The child is not filed; the message says why (it is stored as the agent's reason)."""


def self_improve(rt: Runtime, child_id: int) -> Agent:
    """Carry one planned attempt (its row made when its generation was planned) to a final status.

    Every step commits its result to the archive before the next starts (target, diagnosis, commit,
    each evaluation), and a resumed attempt starts from the first step it has no result for.
    """
    child = rt.archive.get_agent(child_id)
    if rt.stop.requested or rt.budget.exhausted:
        return child  # queued when the run began to stop: it stays open and runs on resume
    resumed = bool(child.target_task)
    rt.started(child_id)
    rt.emit("attempt_started", agent=child_id, parent=child.parent_id, generation=child.generation, resumed=resumed)
    status, reason = "valid", None
    try:
        _attempt(rt, rt.archive.get_agent(child.parent_id), child)
    except Interrupted as exc:
        # Not a verdict on the child: the attempt stays open and continues when the run resumes.
        rt.archive.update_agent(child_id, reason=f"interrupted ({exc}); continues on resume")
        rt.emit("attempt_interrupted", agent=child_id, parent=child.parent_id)
        return rt.archive.get_agent(child_id)
    except Rejected as exc:
        status, reason = "rejected", str(exc)
    except (BudgetExhausted, Stalled, ContextOverflow) as exc:
        status, reason = "failed", str(exc)
    except Exception as exc:  # noqa: BLE001 - an attempt's failure must never end the run
        status, reason = "failed", f"{type(exc).__name__}: {exc}"
        if rt.is_stalled(child_id):  # its container was removed under it by the watchdog
            reason = rt.stall_reason()
        (rt.run_dir / "logs").mkdir(exist_ok=True)
        (rt.run_dir / "logs" / f"agent-{child_id}-error.txt").write_text(traceback.format_exc())
    finally:
        rt.ended(child_id)
    if status != "valid" and rt.interrupted and not rt.is_stalled(child_id):
        # The run is being stopped: its model server and containers are going away under this
        # attempt, so this outcome (e.g. "diagnosis call failed") says nothing about the child.
        rt.archive.update_agent(child_id, reason="interrupted (the run was stopped); continues on resume")
        rt.emit("attempt_interrupted", agent=child_id, parent=child.parent_id)
        return rt.archive.get_agent(child_id)
    cost = rt.archive.cost(agent_id=child_id)
    if rt.archive.finish_agent(child_id, status=status, reason=reason, cost_usd=cost, finished_at=utcnow()):
        rt.emit("attempt_finished", agent=child_id, parent=child.parent_id, status=status, reason=reason, cost=cost)
    return rt.archive.get_agent(child_id)


def _attempt(rt: Runtime, parent: Agent, child: Agent) -> None:
    child_id = child.id
    evaluations = rt.archive.evaluations(parent.id)
    target = child.target_task or choose_target(evaluations, rt.rng("attempt", child_id))
    rt.archive.update_agent(child_id, target_task=target, reason=None)
    with rt.workdir(f"attempt-{child_id}") as work:
        parent_code = rt.repo.export(parent.commit, work / "parent")
        if child.diagnosis_json:
            diagnosis = Diagnosis.model_validate_json(child.diagnosis_json)
        else:
            diagnosis = _diagnose(rt, child_id, target, parent_code, evaluations)
            rt.archive.update_agent(child_id, diagnosis_json=diagnosis.model_dump_json())
            rt.emit("diagnosed", agent=child_id, target=target, proposal=diagnosis.improvement_proposal[:200])

        commit = child.commit or _self_modify(rt, parent, child_id, diagnosis, parent_code, work)
        child_code = rt.repo.export(commit, work / "child")
        problem = validate_agent(rt.sandbox, child_code, rt.config.sandbox.grade_timeout_s)
        rt.check(child_id)
        if problem:
            raise Rejected(problem)
        rt.emit("validated", agent=child_id)

        summary = evaluate_agent(rt, child_id, child_code)
        rt.archive.update_agent(child_id, score=summary.score, n_tasks=summary.n_tasks, n_resolved=summary.n_resolved)
        if summary.n_empty == summary.n_tasks:
            raise Rejected("the child no longer produces patches")
        if rt.config.loop.update == "keep_better" and summary.score < (parent.score or 0.0):
            raise Rejected(f"scored {summary.score:.2f}, below its parent's {parent.score or 0.0:.2f} (keep_better)")
        canaries.check(rt, child, summary.score, child_code)  # only children that will be filed


def _diagnose(rt: Runtime, child_id: int, target: str, parent_code: Path, evaluations: list) -> Diagnosis:
    try:
        messages = build_messages(target, parent_code, evaluations, rt.tasks_by_id)
        return diagnose(rt.models, rt.call_context(child_id, target, "diagnose"), rt.config.model.diagnosis_model, messages)
    except DiagnosisError as exc:
        raise Rejected(f"diagnosis unusable: {exc}") from None
    except ContextOverflow as exc:
        raise Rejected(f"the diagnosis prompt does not fit the model's context: {exc}") from None
    except EndpointDown as exc:
        raise Interrupted(str(exc)) from None
    except openai.APIError as exc:
        raise Rejected(f"diagnosis call failed: {type(exc).__name__}") from None


def _self_modify(rt: Runtime, parent: Agent, child_id: int, diagnosis: Diagnosis, parent_code: Path, work: Path) -> str:
    """The editor agent (the parent itself, or the seed in the ablation) edits a copy of the parent's
    code; the result is committed as the child. Returns the commit."""
    editor = parent_code if rt.config.loop.self_improve else _seed_code(rt, work)

    def edit() -> AgentOutcome:
        out = work / "self_modify"
        shutil.rmtree(out, ignore_errors=True)  # a repeated run starts from nothing
        with rt.gateway(child_id, None, "self_modify") as gw:
            return run_agent(rt.sandbox, rt.config, editor, parent_code, self_modify_problem(diagnosis), gw,
                             out, labels={"dgm.agent": str(child_id), "dgm.role": "self_modify"})

    outcome = rt.unpaused(child_id, edit)  # checked: not killed by a stop, not cut off by an outage
    rt.archive.update_agent(child_id, transcript_json=json.dumps(outcome.transcript))
    if rt.budget.refused(child_id, None):
        raise BudgetExhausted(rt.budget.summary())  # a self-edit cut off by the cap is not a child
    if outcome.patch_error:  # past sandbox.max_patch_bytes: never committed, reviewed or graded
        raise Rejected(f"self-edit too large: {outcome.patch_error}")
    if not outcome.patch.strip() or outcome.repo_after is None:
        raise Rejected("empty self-edit" + (f" ({outcome.error})" if outcome.error else ""))
    commit = rt.repo.commit_tree(outcome.repo_after, parent.commit, f"agent {child_id}: {diagnosis.improvement_proposal[:72]}")
    rt.repo.pin(child_id, commit)
    stats = patch_stats(outcome.patch)
    rt.archive.update_agent(child_id, commit=commit, files_changed=stats.files, lines_added=stats.added, lines_removed=stats.removed)
    rt.emit("self_modified", agent=child_id, commit=commit, files=stats.files)
    return commit


def _seed_code(rt: Runtime, work: Path) -> Path:
    """The no-self-improvement ablation: the seed agent always does the editing."""
    seed = rt.archive.agents(rt.run_id, statuses=["seed"])[0]
    return rt.repo.export(seed.commit, work / "seed")
