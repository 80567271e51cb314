"""kill -9 of the coordinator of a Ray run: its jobs on the nodes end with it (Ray ends a dead driver's
tasks; each job removes its containers through its guard), and `--resume` on the same cluster
finishes the run with every planned job recorded exactly once."""

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

from archive_db import Archive
from tests.dgm.conftest import job_runners

pytestmark = pytest.mark.docker

TASKS = "slugify-unicode,semver-prerelease-order,roman-subtractive-parsing"


def _events(run_dir: Path) -> list[dict]:
    path = run_dir / "events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")] if path.exists() else []


def test_kill_9_of_a_ray_runs_coordinator_then_resume(ray_cluster, docker_client, tmp_path):
    run_dir = tmp_path / "run"
    command = [sys.executable, "-m", "dgm", "run", "--demo", "--run-dir", str(run_dir), "--tasks", TASKS, "--no-check", "--stage-sizes", "3",
               "--generations", "2", "--parents", "2", "--workers", "2", "--executor", "ray", "--ray-address", ray_cluster.address]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    while not any(e["event"] == "job_started" and e.get("kind") == "expand" for e in _events(run_dir)):
        assert proc.poll() is None, proc.stderr.read()[-3000:]
        assert time.monotonic() < deadline, "the run never started a self-improvement attempt"
        time.sleep(0.1)  # polling the run's own event log for the state we need
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    # Its jobs end with it, wherever they ran, and take their containers with them.
    deadline = time.monotonic() + 120
    ours = lambda: [pid for pid, env in job_runners().items() if env.get("DGM_HOME") == ray_cluster.home]  # noqa: E731
    while ours() or docker_client.containers.list(all=True, filters={"label": f"dgm.run_dir={run_dir.resolve()}"}):
        assert time.monotonic() < deadline, "a killed coordinator's jobs outlived it"
        time.sleep(0.2)

    resumed = subprocess.run([*command, "--resume"], capture_output=True, text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-3000:]
    archive = Archive.in_dir(run_dir)
    try:
        run = archive.latest_run()
        agents = archive.agents(run.id)
        pairs = Counter((e.agent_id, e.task_id) for a in agents for e in archive.evaluations(a.id, canary=None))
        assert run.status == "finished" and len(agents) == 5
        assert all(a.status in ("seed", "valid", "rejected", "duplicate") for a in agents), [(a.id, a.status, a.reason) for a in agents]
        assert all(n == 1 for n in pairs.values()), pairs
        assert abs(sum(a.cost_usd for a in agents) - archive.cost(run_id=run.id)) < 1e-9
    finally:
        archive.close()
    assert any(e["event"] == "run_resumed" and e["open_attempts"] for e in _events(run_dir))
