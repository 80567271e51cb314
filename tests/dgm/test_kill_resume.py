"""kill -9 at random moments, resume each time: the archive ends complete and consistent.

The proof for crash-safe resume: every attempt step is committed before the next begins, a
generation's attempts are planned in one transaction, and a resumed run carries every open attempt
on from its last step. Whatever moment the kill lands on (startup, the seed's evaluation, a
diagnosis, a self-edit, a grading container), the final run has exactly the agents asked for, each
with its commit, its evaluations and a final status, its dollars accounted, and no container left.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive_db import Archive
from kernel.git import git

pytestmark = pytest.mark.docker

KILLS = 10
GENERATIONS, PARENTS = 8, 2
# Two easy tasks, one medium, one hard: every kind of demo outcome, in a few seconds per agent.
TASKS = "slugify-unicode,roman-subtractive-parsing,semver-prerelease-order,exprlex-string-escapes"


def _command(run_dir: Path, resume: bool) -> list[str]:
    return [sys.executable, "-m", "dgm", "run", "--demo", "--run-dir", str(run_dir), "--generations", str(GENERATIONS),
            "--parents", str(PARENTS), "--workers", "2", "--tasks", TASKS, *(["--resume"] if resume else [])]


def _events(run_dir: Path) -> list[dict]:
    path = run_dir / "events.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]


def _wait_for_work(proc: subprocess.Popen, run_dir: Path, seen: int) -> None:
    deadline = time.monotonic() + 300
    while not any(e["event"] == "suite_checked" for e in _events(run_dir)[seen:]) and proc.poll() is None:
        assert time.monotonic() < deadline, "the run never got past its suite check"
        time.sleep(0.05)  # polling the run's own event log for the state we need


def test_kill_9_at_random_moments_then_resume_leaves_a_complete_archive(tmp_path, docker_client):
    run_dir = tmp_path / "run"
    rng = random.Random(20261124)
    landed: list[str] = []  # the last event before each kill: where in the run it struck
    sessions = 0
    while len(landed) < KILLS:
        seen = len(_events(run_dir))
        proc = subprocess.Popen(_command(run_dir, resume=sessions > 0), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        sessions += 1
        # Let the session get going (past the suite check, which the first session caches for the
        # rest), then strike at a random moment after that.
        _wait_for_work(proc, run_dir, seen)
        try:
            # Short and long lives alternate, so kills land early in a session and deep into one.
            proc.wait(timeout=rng.uniform(0.0, 8.0) if len(landed) % 2 else rng.uniform(8.0, 25.0))
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            events = _events(run_dir)
            landed.append(events[-1]["event"] if len(events) > seen else "startup")
            continue
        assert proc.returncode == 0, proc.stderr.read()[-3000:]
        break  # the run finished between kills: nothing left to kill
    final = subprocess.run(_command(run_dir, resume=True), capture_output=True, text=True, timeout=900)
    assert final.returncode == 0, final.stderr[-3000:]
    print(f"kills: {len(landed)}; struck during: {', '.join(landed)}")
    assert len(landed) == KILLS, "the run finished before it could be killed often enough; lengthen it"

    archive = Archive.in_dir(run_dir)
    try:
        run = archive.latest_run()
        assert run.status == "finished"
        agents = archive.agents(run.id)
        # Exactly the attempts asked for (generations x parents), no duplicates, none open; each child
        # one generation (lineage depth) below its parent.
        assert len(agents) == 1 + GENERATIONS * PARENTS
        by_depth = {a.id: a.generation for a in agents}
        assert all(a.generation == by_depth[a.parent_id] + 1 for a in agents if a.parent_id is not None)
        assert all(a.status in ("seed", "valid", "rejected", "duplicate") for a in agents), [(a.id, a.status, a.reason) for a in agents]
        repo = run_dir / "agents.git"
        by_id = {a.id: a for a in agents}
        tree = lambda commit: git("rev-parse", f"{commit}^{{tree}}", cwd=repo).strip()  # noqa: E731
        for agent in agents:
            if agent.status == "rejected":
                assert agent.reason and agent.finished_at
                continue
            if agent.status == "duplicate":  # the same code as an earlier agent: linked, never evaluated
                original = by_id[agent.duplicate_of]
                assert original.id < agent.id and tree(agent.commit) == tree(original.commit)
                assert not archive.evaluations(agent.id, canary=None) and agent.finished_at
                continue
            # Filed agents: a pinned commit whose parent is the parent agent's commit, and evaluations
            # that match its score exactly, one per task.
            assert agent.commit and git("rev-parse", f"refs/agents/{agent.id}", cwd=repo).strip() == agent.commit
            if agent.parent_id is not None:
                assert git("rev-parse", f"{agent.commit}^", cwd=repo).strip() == by_id[agent.parent_id].commit
            evaluations = archive.evaluations(agent.id)
            task_ids = [e.task_id for e in evaluations]
            assert len(task_ids) == len(set(task_ids)) == agent.n_tasks > 0
            assert agent.n_resolved == sum(e.resolved for e in evaluations)
        # Every dollar accounted: the agents' costs add up to every recorded call of the run.
        assert abs(sum(a.cost_usd for a in agents) - archive.cost(run_id=run.id)) < 1e-9
        assert all(c.agent_id is not None for c in archive.calls(run_id=run.id))
    finally:
        archive.close()
    label = f"dgm.run_dir={run_dir.resolve()}"
    assert docker_client.containers.list(all=True, filters={"label": label}) == []
    assert not (run_dir / "work").exists() or not any((run_dir / "work").iterdir())
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert len(manifest.get("resumes", [])) >= 1
    resumed = [e for e in _events(run_dir) if e["event"] == "run_resumed"]
    assert len(resumed) >= 1 and any(e["open_attempts"] for e in resumed), "no kill ever left an attempt open"
