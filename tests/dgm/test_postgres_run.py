"""A whole run on a PostgreSQL archive, for real: `dgm run --demo --db-url` with the password only
in PGPASSWORD; while it works, `dgm status` and the dashboard (`serve --db-url`) show it live; kill -9
mid-run, then `--resume` with only `--run-dir` (its database.json names the database) finishes it;
then every read command (status, diff, checkout, estimate, regrade, replay) works on it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from archive_db import Archive
from archive_db.location import DATABASE_FILE
from benchmarks.task import load_suite
from tests.dgm.scripted_run import user_repository
from web.app import create_app

pytestmark = pytest.mark.docker

TASKS = "slugify-unicode,roman-subtractive-parsing,semver-prerelease-order"


def _run(run_dir: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "dgm", "run", "--demo", "--run-dir", str(run_dir), "--generations", "2", "--parents", "2",
            "--workers", "2", "--tasks", TASKS, "--no-check", *extra]


def _events(run_dir: Path) -> list[dict]:
    path = run_dir / "events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")] if path.exists() else []


def test_a_postgresql_backed_run_shows_live_survives_kill_9_and_serves_every_command(tmp_path, postgres_url, postgres_role,
                                                                                     docker_client):
    env = {**os.environ, "PGPASSWORD": postgres_role["password"]}
    bare = postgres_url.replace(f":{postgres_role['password']}@", "@")  # what a user types: no password
    run_dir = tmp_path / "run"
    dgm = lambda *args, timeout=120: subprocess.run([sys.executable, "-m", "dgm", *args], capture_output=True,  # noqa: E731
                                                    text=True, timeout=timeout, env=env, cwd=tmp_path)
    proc = subprocess.Popen(_run(run_dir, "--db-url", bare), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=env)
    deadline = time.monotonic() + 600
    while not any(e["event"] == "job_started" and e.get("kind") == "expand" for e in _events(run_dir)):
        assert proc.poll() is None, proc.stderr.read()[-3000:]
        assert time.monotonic() < deadline, "the run never started a self-improvement attempt"
        time.sleep(0.1)  # polling the run's own event log for the state we need

    # Live, from another process and from the dashboard over the database.
    status = dgm("status", "--run-dir", str(run_dir))
    assert status.returncode == 0 and "live: pid" in status.stdout and "seed" in status.stdout, status.stderr
    api = TestClient(create_app(tmp_path / "unused", None, postgres_url), base_url="http://127.0.0.1:8765")
    [listed] = api.get("/api/runs").json()
    assert listed["status"] == "running" and listed["run_dir"] == str(run_dir.resolve())
    assert api.get(f"/api/runs/{listed['dir']}/changes").json()["live"]["running"] is True

    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    saved = json.loads((run_dir / DATABASE_FILE).read_text())
    assert saved["url"] == bare and postgres_role["password"] not in (run_dir / DATABASE_FILE).read_text()
    assert postgres_role["password"] not in (run_dir / "manifest.json").read_text()

    resumed = dgm(*_run(run_dir, "--resume")[3:], timeout=1200)  # no --db-url: database.json names it
    assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-3000:]
    assert not (run_dir / "archive.sqlite").exists()

    archive = Archive(postgres_url)
    try:
        run = archive.get_run(saved["run_id"])
        assert run.status == "finished" and postgres_role["password"] not in run.config_json
        agents = archive.agents(run.id)
        assert len(agents) == 1 + 2 * 2 and all(a.status in ("seed", "valid", "rejected", "duplicate") for a in agents)
        for agent in agents:  # every planned evaluation recorded exactly once
            tasks = [e.task_id for e in archive.evaluations(agent.id)]
            assert len(tasks) == len(set(tasks)) == agent.n_tasks
        seed = agents[0]
        child = next(a for a in agents if a.status == "valid")
    finally:
        archive.close()
    assert api.get(f"/api/runs/{listed['dir']}").json()["status"] == "finished"

    # The read commands, through the run directory...
    assert "finished" in dgm("status", "--run-dir", str(run_dir)).stdout
    diff = dgm("diff", str(child.parent_id), str(child.id), "--run-dir", str(run_dir))
    assert diff.returncode == 0 and diff.stdout.startswith("diff --git"), diff.stderr
    assert dgm("checkout", str(child.id), str(tmp_path / "code"), "--run-dir", str(run_dir)).returncode == 0
    assert (tmp_path / "code" / "coding_agent.py").is_file()
    estimate = dgm("estimate", "--from", str(run_dir))
    assert estimate.returncode == 0 and "expected $" in estimate.stdout, estimate.stderr
    task = next(e.task_id for e in Archive(postgres_url).evaluations(seed.id))
    regrade = dgm("regrade", "--run-dir", str(run_dir), "--agent", str(seed.id), "--task", task, timeout=600)
    assert regrade.returncode == 0 and "1 agree, 0 differ" in regrade.stdout, regrade.stdout + regrade.stderr
    repo, issue = user_repository(next(t for t in load_suite("builtin") if t.id == "slugify-unicode"), tmp_path / "project")
    replay = dgm("replay", str(child.id), "--run-dir", str(run_dir), "--repo", str(repo), "--problem", str(issue),
                 "--out", str(tmp_path / "out"), timeout=600)
    assert replay.returncode == 0 and (tmp_path / "out" / "patch.diff").is_file(), replay.stderr
    # ...and through the database alone, from a machine without the run directory.
    elsewhere = dgm("status", "--db-url", bare, "--run-dir", str(tmp_path / "not-here"))
    assert elsewhere.returncode == 0 and "finished" in elsewhere.stdout and "live:" not in elsewhere.stdout, elsewhere.stderr
    wrong = dgm("status", "--run-dir", str(run_dir), "--db-url", "postgresql://someone@elsewhere/db")
    assert wrong.returncode == 1 and wrong.stderr.count("\n") == 1 and "not postgresql://someone@elsewhere/db" in wrong.stderr
