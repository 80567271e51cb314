"""A scripted `dgm run --policy hgm`, end to end: kill -9 in the middle of it (once hgm is re-measuring filed
agents), `--resume`, and then the archive, the recorded decisions, the duplicates, the recommended best,
`dgm status` and the dashboard's agent page all agree with what the policy did."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from archive_db import Archive
from benchmarks.registry import load_benchmark
from dgm.config import RunConfig
from dgm.policies import make_policy
from dgm.run_state import from_archive
from kernel.git import git
from web.app import create_app

pytestmark = pytest.mark.docker

# Two easy tasks (the seed solves them), a medium one and a hard one (only improved agents do).
TASKS = "slugify-unicode,roman-subtractive-parsing,semver-prerelease-order,exprlex-string-escapes"
MAX_EVALUATIONS = 14


def _events(run_dir: Path) -> list[dict]:
    path = run_dir / "events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")] if path.exists() else []


def _tree(run_dir: Path, commit: str) -> str:
    return git("rev-parse", f"{commit}^{{tree}}", cwd=run_dir / "agents.git").strip()


def test_an_hgm_run_killed_mid_search_resumes_and_records_every_decision(tmp_path, docker_client):
    run_dir = tmp_path / "run"
    command = [sys.executable, "-m", "dgm", "run", "--demo", "--run-dir", str(run_dir), "--tasks", TASKS, "--policy", "hgm",
               "--no-check", "--generations", "5", "--parents", "1", "--workers", "2", "--max-evaluations", str(MAX_EVALUATIONS)]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    # The middle of an hgm search: a filed agent is being measured further (its score moved once already).
    while not any(e["event"] == "score_updated" for e in _events(run_dir)):
        assert proc.poll() is None, proc.stderr.read()[-3000:]
        assert time.monotonic() < deadline, "hgm never evaluated a filed agent further"
        time.sleep(0.05)  # polling the run's own event log for the state we need
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)

    resumed = subprocess.run([*command, "--resume"], capture_output=True, text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-3000:]
    assert any(e["event"] == "run_resumed" for e in _events(run_dir))

    archive = Archive.in_dir(run_dir)
    try:
        run = archive.latest_run()
        agents = {a.id: a for a in archive.agents(run.id)}
        evaluations = {a: archive.evaluations(a) for a in agents}
        decisions = archive.decisions(run.id)
        config = RunConfig.model_validate_json(run.config_json)
        state = from_archive(archive, run.id, set())
    finally:
        archive.close()
    assert run.status == "finished"
    assert all(a.status in ("seed", "valid", "rejected", "duplicate") for a in agents.values()), \
        [(a.id, a.status, a.reason) for a in agents.values()]

    # The evaluation budget holds across the kill, and no task is graded twice for one agent.
    pairs = Counter((a, e.task_id) for a, evs in evaluations.items() for e in evs)
    assert sum(pairs.values()) <= MAX_EVALUATIONS and all(n == 1 for n in pairs.values()), pairs
    # hgm settles a child after one task and again as results come in: each recorded score is its mean.
    for agent in agents.values():
        evs = evaluations[agent.id]
        if agent.status in ("seed", "valid"):
            assert agent.n_tasks == len(evs) and agent.n_resolved == sum(e.resolved for e in evs), agent.id
            assert agent.score == pytest.approx(agent.n_resolved / agent.n_tasks)
    assert max(len(evs) for evs in evaluations.values()) > 1  # a node was measured beyond its optimistic first task

    # Every job the policy started is a recorded decision, with the rule that made it.
    kinds = Counter(d.kind for d in decisions)
    attempts = len(agents) - 1
    assert kinds["expand"] >= attempts >= 1
    assert kinds["evaluate"] >= sum(pairs.values())
    for agent_id, task in pairs:
        assert any(d.kind == "evaluate" and d.agent_id == agent_id for d in decisions), (agent_id, task)
    rules = {d.rule for d in decisions}
    assert any(r.startswith("optimistic start") for r in rules)
    assert any("evaluations ** alpha" in r for r in rules)
    assert all(json.loads(d.detail_json)["kind"] == d.kind for d in decisions)

    # A duplicate carries its original's code, links to it, and was never evaluated.
    for dup in (a for a in agents.values() if a.status == "duplicate"):
        original = agents[dup.duplicate_of]
        assert _tree(run_dir, dup.commit) == _tree(run_dir, original.commit) and not evaluations[dup.id]

    # The recorded best is what the policy recommends over the finished run.
    tasks = load_benchmark(config.evaluation).tasks
    tasks = [t for t in tasks if t.id in TASKS.split(",")]
    policy = make_policy(config, tasks, None, [], lambda *scope: __import__("random").Random(str(scope)))
    best = policy.recommend(state)
    assert best is not None and run.best_agent_id == best.id

    status = subprocess.run([sys.executable, "-m", "dgm", "status", "--run-dir", str(run_dir)], capture_output=True,
                            text=True, timeout=120)
    assert status.returncode == 0 and f"best: agent {best.id}" in " ".join(status.stdout.split()), status.stdout[-2000:]

    api = TestClient(create_app(tmp_path), base_url="http://127.0.0.1:8765")
    assert api.get("/api/runs/run").json()["best_id"] == best.id
    page = api.get(f"/api/runs/run/agents/{best.id}").json()
    search = page["search"]
    assert search["evaluations"] == len(evaluations[best.id])
    assert search["passes"] == sum(e.resolved for e in evaluations[best.id])
    assert search["chosen"].get("evaluate", 0) >= 1
    descendants = {best.id}
    for agent in sorted(agents.values(), key=lambda a: a.id):
        if agent.parent_id in descendants:
            descendants.add(agent.id)
    assert search["clade_evaluations"] == sum(len(evaluations[a]) for a in descendants)
