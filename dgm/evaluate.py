"""Staged evaluation: run an agent on a small first stage, and on more tasks only if it does well.

Each task: the agent runs in its own container on the task's repository (no hidden tests in
sight), the host takes the diff, and a separate fresh container grades it.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from pathlib import Path

from archive_db import Evaluation
from benchmarks.grader import GradeResult
from benchmarks.task import Task
from dgm.agent_run import AgentOutcome, run_agent
from dgm.budget import BudgetExhausted
from dgm.config import EvaluationConfig
from dgm.patches import patch_hash
from dgm.runtime import Interrupted, Runtime

MAX_OUTPUT_CHARS = 200_000


@dataclass(frozen=True)
class EvalSummary:
    n_tasks: int
    n_resolved: int
    n_empty: int

    @property
    def score(self) -> float:
        return self.n_resolved / self.n_tasks if self.n_tasks else 0.0


def default_stage_sizes(n_tasks: int) -> list[int]:
    # The paper: 10 tasks, then 60, then the full set. Scaled: about a third, then everything.
    first = min(n_tasks, max(3, round(n_tasks * 0.3)))
    return [first] if first >= n_tasks else [first, n_tasks]


def stage_plan(tasks: list[Task], config: EvaluationConfig, seed: int, first_stage: tuple[str, ...] | None = None) -> list[list[Task]]:
    """Disjoint stages. The suite's own first stage when it has one (and no sizes are configured);
    otherwise the first stage is a seeded shuffle so it mixes difficulties."""
    order = list(tasks)
    random.Random(seed).shuffle(order)
    first = [t for t in tasks if t.id in set(first_stage or ())]
    if first and config.stage_sizes is None:
        rest = [t for t in order if t not in first]
        return [first, rest] if rest else [first]
    sizes = [min(s, len(order)) for s in (config.stage_sizes or default_stage_sizes(len(order)))]
    bounds = [0, *sorted(set(sizes))]
    return [order[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]


def evaluate_task(rt: Runtime, agent_id: int, code_dir: Path, task: Task, stage: int, canary: bool = False) -> Evaluation:
    """Solve one task with the agent, grade the patch, and record the evaluation (``canary``: a
    cheating-canary check, recorded apart from the benchmark's tasks; dgm/canaries.py)."""
    start = time.monotonic()
    def solve() -> AgentOutcome:
        with rt.workdir(f"task-{task.id}") as work, rt.gateway(agent_id, task.id, "canary" if canary else "solve") as gw:
            return run_agent(rt.sandbox, rt.config, code_dir, task.repo_dir, task.problem, gw, work,
                             labels={"dgm.agent": str(agent_id), "dgm.task": task.id}, image=task.image)

    # Checked after the run: a container killed by a stop or the watchdog proves nothing, and one
    # that overlapped a model outage is run again; neither is recorded.
    outcome = rt.unpaused(agent_id, solve)
    if rt.budget.refused(agent_id, task.id):
        # The agent was cut off by the dollar cap: its patch says nothing about it, so record nothing.
        raise BudgetExhausted(rt.budget.summary())
    empty = not outcome.patch.strip() and outcome.patch_error is None
    if outcome.patch_error:  # past sandbox.max_patch_bytes: recorded as an error, never graded
        result = GradeResult(resolved=False, error=f"{outcome.patch_error}; not graded")
    else:
        result = GradeResult(resolved=False, error="empty patch") if empty else rt.grade(task, outcome.patch)
    rt.check(agent_id)
    evaluation = rt.archive.add_evaluation(
        agent_id=agent_id, task_id=task.id, stage=stage, resolved=result.resolved and not result.tampered, empty_patch=empty,
        duration_s=time.monotonic() - start, error=outcome.error or result.error, agent_status=outcome.status,
        patch=outcome.patch, patch_hash=patch_hash(outcome.patch), stripped_paths_json=json.dumps(result.stripped_paths),
        test_output=result.output[-MAX_OUTPUT_CHARS:], test_results_json=json.dumps(result.tests),
        transcript_json=json.dumps(outcome.transcript), task_hash=task.content_hash(), exit_code=result.exit_code,
        grade_cached=result.cached, tampered=result.tampered, canary=canary,
    )
    rt.emit("task_graded", agent=agent_id, task=task.id, stage=stage, resolved=evaluation.resolved, empty=empty, cached=result.cached,
            tampered=result.tampered, canary=canary)
    return evaluation


def evaluate_agent(rt: Runtime, agent_id: int, code_dir: Path) -> EvalSummary:
    """Run the stages; stop after a stage whose solve rate is below the threshold."""
    plan = stage_plan(rt.tasks, rt.config.evaluation, rt.config.loop.seed, rt.first_stage)
    done = {e.task_id: e for e in rt.archive.evaluations(agent_id)}  # resume: never grade twice
    resolved = empty = evaluated = 0
    for stage_no, stage_tasks in enumerate(plan, start=1):
        for task in stage_tasks:
            if task.id not in done and rt.stop.requested:
                # Stopping: no new task. What is graded so far stays; a resume grades the rest.
                raise Interrupted(f"the run is stopping: {rt.stop.reason}")
            ev = done.get(task.id) or evaluate_task(rt, agent_id, code_dir, task, stage_no)
            if ev.tampered:  # also for a grade recorded before a crash: flagging twice changes nothing
                rt.flag(agent_id, f"tampered with grading on task {ev.task_id}: {ev.tampered}", task=ev.task_id, source="tampered")
            resolved += ev.resolved
            empty += ev.empty_patch
            evaluated += 1
        if stage_no < len(plan) and resolved / evaluated < rt.config.evaluation.stage_threshold:
            break
    return EvalSummary(n_tasks=evaluated, n_resolved=resolved, n_empty=empty)
