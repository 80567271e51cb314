"""One self-improvement attempt: diagnose a failure of the parent, let the parent edit a copy of its
own code in the sandbox, commit the result as the child, gate it, evaluate it, file it.

Every attempt leaves an agent row: filed (valid), rejected with its reason, or failed with the
error. Nothing is dropped.
"""

from __future__ import annotations

import json
import traceback
from pathlib import Path

import openai

from archive_db import Agent
from archive_db.schema import utcnow
from dgm.agent_run import run_agent
from dgm.budget import BudgetExhausted
from dgm.diagnose import DiagnosisError, build_messages, choose_target, diagnose, self_modify_problem
from dgm.evaluate import evaluate_agent
from dgm.patches import patch_stats
from dgm.runtime import Runtime
from dgm.validate import validate_agent


class Rejected(Exception):
    """The child is not filed; the message says why (it is stored as the agent's reason)."""


def self_improve(rt: Runtime, parent_id: int, generation: int) -> Agent:
    parent = rt.archive.get_agent(parent_id)
    child = rt.archive.add_agent(run_id=rt.run_id, parent_id=parent_id, generation=generation, status="running")
    rt.emit("attempt_started", agent=child.id, parent=parent_id, generation=generation)
    status, reason = "valid", None
    try:
        _attempt(rt, parent, child.id)
    except Rejected as exc:
        status, reason = "rejected", str(exc)
    except BudgetExhausted as exc:
        status, reason = "failed", str(exc)
    except Exception as exc:  # noqa: BLE001 - an attempt's failure must never end the run
        status, reason = "failed", f"{type(exc).__name__}: {exc}"
        if rt.sandbox.closed:  # its containers were removed because the run is being stopped
            reason = f"interrupted (the run was stopped): {reason}"
        (rt.run_dir / "logs").mkdir(exist_ok=True)
        (rt.run_dir / "logs" / f"agent-{child.id}-error.txt").write_text(traceback.format_exc())
    if status == "rejected" and rt.sandbox.closed:
        # The run is being stopped: its model server and containers are going away under this attempt,
        # so a rejection now (e.g. "diagnosis call failed") says nothing about the child.
        status, reason = "failed", f"interrupted (the run was stopped): {reason}"
    cost = rt.archive.cost(agent_id=child.id)
    rt.archive.update_agent(child.id, status=status, reason=reason, cost_usd=cost, finished_at=utcnow())
    rt.emit("attempt_finished", agent=child.id, parent=parent_id, status=status, reason=reason, cost=cost)
    return rt.archive.get_agent(child.id)


def _attempt(rt: Runtime, parent: Agent, child_id: int) -> None:
    rng = rt.child_rng()
    evaluations = rt.archive.evaluations(parent.id)
    target = choose_target(evaluations, rng)
    rt.archive.update_agent(child_id, target_task=target)
    with rt.workdir(f"attempt-{child_id}") as work:
        parent_code = rt.repo.export(parent.commit, work / "parent")
        try:
            messages = build_messages(target, parent_code, evaluations, rt.tasks_by_id)
            diagnosis = diagnose(rt.models, rt.call_context(child_id, target, "diagnose"), rt.config.model.diagnosis_model, messages)
        except DiagnosisError as exc:
            raise Rejected(f"diagnosis unusable: {exc}") from None
        except openai.APIError as exc:
            raise Rejected(f"diagnosis call failed: {type(exc).__name__}") from None
        rt.archive.update_agent(child_id, diagnosis_json=diagnosis.model_dump_json())
        rt.emit("diagnosed", agent=child_id, target=target, proposal=diagnosis.improvement_proposal[:200])

        editor = parent_code if rt.config.loop.self_improve else _seed_code(rt, work)
        with rt.gateway(child_id, None, "self_modify") as gw:
            outcome = run_agent(rt.sandbox, rt.config, editor, parent_code, self_modify_problem(diagnosis), gw,
                                work / "self_modify", labels={"dgm.agent": str(child_id), "dgm.role": "self_modify"})
        rt.archive.update_agent(child_id, transcript_json=json.dumps(outcome.transcript))
        if rt.budget.refused(child_id, None):
            raise BudgetExhausted(rt.budget.summary())  # a self-edit cut off by the cap is not a child
        if not outcome.patch.strip() or outcome.repo_after is None:
            raise Rejected("empty self-edit" + (f" ({outcome.error})" if outcome.error else ""))

        commit = rt.repo.commit_tree(outcome.repo_after, parent.commit, f"agent {child_id}: {diagnosis.improvement_proposal[:72]}")
        rt.repo.pin(child_id, commit)
        stats = patch_stats(outcome.patch)
        rt.archive.update_agent(child_id, commit=commit, files_changed=stats.files, lines_added=stats.added, lines_removed=stats.removed)

        child_code = rt.repo.export(commit, work / "child")
        problem = validate_agent(rt.sandbox, child_code, rt.config.sandbox.grade_timeout_s)
        if problem:
            raise Rejected(problem)
        rt.emit("validated", agent=child_id)

        summary = evaluate_agent(rt, child_id, child_code)
        rt.archive.update_agent(child_id, score=summary.score, n_tasks=summary.n_tasks, n_resolved=summary.n_resolved)
        if summary.n_empty == summary.n_tasks:
            raise Rejected("the child no longer produces patches")
        if rt.config.loop.update == "keep_better" and summary.score < (parent.score or 0.0):
            raise Rejected(f"scored {summary.score:.2f}, below its parent's {parent.score or 0.0:.2f} (keep_better)")


def _seed_code(rt: Runtime, work: Path) -> Path:
    """The no-self-improvement ablation: the seed agent always does the editing."""
    seed = rt.archive.agents(rt.run_id, statuses=["seed"])[0]
    return rt.repo.export(seed.commit, work / "seed")
