"""A synthetic run directory of any size, for measuring the dashboard on big archives.

It writes a real archive.sqlite (schema made by archive_db's migrations, rows through its engine and
column types, so long texts are compressed as a run's are) with a realistic mix: a seed, generations
of parents picked score-proportionally from the archive, children that are valid, rejected (no
score) or failed, a few still running, per-task evaluations with patches, test results and
transcripts, and the model calls behind them. No agents.git: the agents have no commits, which the
dashboard shows as "no code". Deterministic for a given seed.

    python benchmarks/perf/make_big_run.py RUN_DIR [--agents 5000] [--tasks 14] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import math
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from archive_db import Archive
from archive_db.schema import Agent, Evaluation, ModelCall

PARENTS_PER_GENERATION = 8
START = datetime(2025, 1, 1, 8, 0, 0)


def _text(rng: random.Random, words: int) -> str:
    vocabulary = ("agent", "patch", "test", "file", "edit", "repository", "function", "error", "verify", "diff",
                  "the", "a", "to", "and", "run", "fix", "issue", "context", "tool", "output", "line", "check")
    return " ".join(rng.choice(vocabulary) for _ in range(words))


def _transcript(rng: random.Random, messages: int, words: int) -> str:
    roles = ("assistant", "user")
    return json.dumps([{"role": "system", "content": _text(rng, words)}] +
                      [{"role": roles[i % 2], "content": _text(rng, words)} for i in range(messages)])


def _diagnosis(rng: random.Random, task: str) -> str:
    return json.dumps({"log_summarization": _text(rng, 60), "potential_improvements": [_text(rng, 8) for _ in range(3)],
                       "improvement_proposal": _text(rng, 25), "implementation_suggestion": _text(rng, 40),
                       "problem_description": f"Improve the agent: {task}. " + _text(rng, 80)})


def _measure(row: dict[str, Any]) -> dict[str, Any]:
    """The length columns the ORM fills in (archive_db.schema): a Core insert must write them itself."""
    for size, text in (("patch_chars", "patch"), ("transcript_chars", "transcript_json")):
        if text in row:
            row[size] = len(row[text] or "")
    return row


def _pick_parent(rng: random.Random, archive: list[tuple[int, float, float]]) -> tuple[int, float, float]:
    """(id, score, hidden skill) of a parent, drawn like score_child_prop without the child count."""
    weights = [1 / (1 + math.exp(-10 * (score - 0.5))) for _, score, _ in archive]
    return rng.choices(archive, weights=weights)[0]


def make_big_run(run_dir: Path, n_agents: int = 5000, n_tasks: int = 14, seed: int = 0,
                 task_ids: list[str] | None = None) -> dict[str, Any]:
    """Write the run; returns {agents, evaluations, calls, best_id} for the caller's report.
    ``task_ids``: real task ids to record evaluations on (then ``n_tasks`` is their number) instead of
    synthetic ones, so the engine can resume the run (benchmarks/perf/coordinator_bookkeeping.py)."""
    rng = random.Random(seed)
    tasks = list(task_ids) if task_ids else [f"synthetic-task-{i:02d}" for i in range(n_tasks)]
    n_tasks = len(tasks)
    first_stage = max(1, n_tasks // 3)
    archive = Archive.in_dir(run_dir)
    config = {"name": run_dir.name, "loop": {"selection": "score_child_prop"}}
    run = archive.create_run(run_dir.name, json.dumps(config), "synthetic")
    agents: list[dict[str, Any]] = []
    evaluations: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    archived: list[tuple[int, float, float]] = []
    difficulty = {task: i / max(1, n_tasks - 1) for i, task in enumerate(rng.sample(tasks, n_tasks))}
    clock = START

    def evaluate(agent_id: int, skill: float, when: datetime) -> tuple[int, int]:
        ran = tasks[:first_stage]
        solves = lambda task: rng.random() < skill + 0.5 - difficulty[task]  # noqa: E731
        solved = [solves(t) for t in ran]
        if sum(solved) / len(ran) >= 0.4:
            ran = tasks
            solved += [solves(t) for t in tasks[first_stage:]]
        for task, ok in zip(ran, solved, strict=True):
            tests = {f"tests/test_{task}.py::test_{k}": "PASSED" if ok or rng.random() < 0.5 else "FAILED" for k in range(6)}
            evaluations.append({"agent_id": agent_id, "task_id": task, "stage": 1 if task in tasks[:first_stage] else 2,
                                "resolved": ok, "empty_patch": False, "duration_s": rng.uniform(20, 300),
                                "agent_status": "submitted",
                                "patch": f"diff --git a/{task}.py b/{task}.py\n--- a/{task}.py\n+++ b/{task}.py\n"
                                         f"@@ -1,3 +1,3 @@\n-{_text(rng, 12)}\n+{_text(rng, 12)}\n",
                                "patch_hash": f"{rng.getrandbits(128):032x}", "test_output": _text(rng, 150),
                                "test_results_json": json.dumps(tests), "transcript_json": _transcript(rng, 8, 50),
                                "task_hash": "synthetic", "exit_code": 0 if ok else 1, "created_at": when})
            _measure(evaluations[-1])
            calls.extend({"run_id": run.id, "agent_id": agent_id, "task_id": task, "purpose": "solve", "model": "synthetic-agent",
                          "prompt_tokens": rng.randint(2000, 30000), "completion_tokens": rng.randint(100, 2000),
                          "cost_usd": rng.uniform(0.001, 0.02), "latency_s": rng.uniform(1, 20), "created_at": when}
                         for _ in range(3))
        return len(ran), sum(solved)

    def add(agent_id: int, parent: tuple[int, float, float] | None, generation: int, status: str) -> None:
        nonlocal clock
        clock += timedelta(seconds=rng.randint(20, 200))
        # Most self-edits change little, a few help, a few hurt: a slow climb with many dead ends.
        skill = 0.25 if parent is None else min(1.0, max(0.0, parent[2] + rng.gauss(0.0, 0.04)))
        target = rng.choice(tasks)
        row: dict[str, Any] = {"id": agent_id, "run_id": run.id, "parent_id": parent[0] if parent else None,
                               "generation": generation, "status": status, "created_at": clock,
                               "target_task": None if parent is None else target,
                               "diagnosis_json": None if parent is None else _diagnosis(rng, target),
                               "transcript_json": None if parent is None else _transcript(rng, rng.randint(6, 30), 120),
                               "files_changed": 0 if parent is None else rng.randint(1, 4), "lines_added": rng.randint(1, 80),
                               "lines_removed": rng.randint(0, 30), "cost_usd": 0.0, "reason": None, "score": None,
                               "n_tasks": 0, "n_resolved": 0, "finished_at": None}
        if status == "rejected":
            row["reason"] = rng.choice(["empty self-edit", "coding_agent does not import: SyntaxError: invalid syntax",
                                        "the agent's own tests fail: 2 failed", "produced only empty patches"])
        elif status == "failed":
            row["reason"] = "sandbox: the agent container exceeded its wall-time limit"
        elif status in ("seed", "valid"):
            n, solved = evaluate(agent_id, skill, clock)
            row.update(score=solved / n, n_tasks=n, n_resolved=solved, finished_at=clock + timedelta(minutes=10))
            archived.append((agent_id, solved / n, skill))
        if parent is not None:
            calls.append({"run_id": run.id, "agent_id": agent_id, "task_id": target, "purpose": "diagnose",
                          "model": "synthetic-diagnoser", "prompt_tokens": rng.randint(10000, 60000),
                          "completion_tokens": rng.randint(300, 1500),
                          "cost_usd": rng.uniform(0.02, 0.2), "latency_s": rng.uniform(5, 60), "created_at": clock})
        agents.append(_measure(row))

    add(1, None, 0, "seed")
    generation = 0
    while len(agents) < n_agents:
        generation += 1
        for _ in range(min(PARENTS_PER_GENERATION, n_agents - len(agents))):
            last = len(agents) + PARENTS_PER_GENERATION > n_agents
            if last and rng.random() < 0.5:
                status = "running"
            else:
                status = rng.choices(["valid", "rejected", "failed"], [0.62, 0.33, 0.05])[0]
            add(len(agents) + 1, _pick_parent(rng, archived), generation, status)
    cost: dict[int, float] = {}
    for call in calls:
        cost[call["agent_id"]] = cost.get(call["agent_id"], 0.0) + call["cost_usd"]
    for row in agents:
        row["cost_usd"] = cost.get(row["id"], 0.0) if row["status"] != "running" else 0.0
    with archive.engine.begin() as conn:  # one transaction: minutes of row-by-row commits become seconds
        conn.execute(insert(Agent), agents)
        conn.execute(insert(Evaluation), evaluations)
        conn.execute(insert(ModelCall), calls)
    archive.set_run_status(run.id, "running")
    archive.close()
    best = max(archived, key=lambda a: (a[1], -a[0]))
    return {"agents": len(agents), "evaluations": len(evaluations), "calls": len(calls), "best_id": best[0],
            "generations": generation}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--agents", type=int, default=5000)
    parser.add_argument("--tasks", type=int, default=14)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if (args.run_dir / "archive.sqlite").exists():
        parser.error(f"{args.run_dir} already holds an archive")
    print(make_big_run(args.run_dir, args.agents, args.tasks, args.seed))


if __name__ == "__main__":
    main()
