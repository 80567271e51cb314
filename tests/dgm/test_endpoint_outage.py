"""The model endpoint goes away in the middle of a real run: the run pauses (and says so to
`dgm status` from another shell) instead of burning attempts, and goes on when the endpoint returns."""

import json
import subprocess
import sys
import time

import pytest

from archive_db import Archive
from benchmarks.registry import load_benchmark
from dgm.config import EvaluationConfig
from dgm.demo import demo_script
from dgm.models.scripted import ScriptedModelServer
from tests.dgm.scripted_run import write_config

pytestmark = pytest.mark.docker

TASKS = ["slugify-unicode", "roman-subtractive-parsing", "semver-prerelease-order"]


def _events(run_dir):
    path = run_dir / "events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")] if path.exists() else []


def _wait(proc, what, check, timeout=300):
    deadline = time.monotonic() + timeout
    while not check():
        if proc.poll() is not None:
            pytest.fail(f"dgm run exited {proc.returncode} before {what}: {proc.communicate()}")
        assert time.monotonic() < deadline, f"no {what} within {timeout} s"
        time.sleep(0.1)  # polling the run's own files for the state we need


def _seen(run_dir, kind):
    return lambda: any(e["event"] == kind for e in _events(run_dir))


def _run_through_an_outage(tmp_path, down_at, up_after, while_down=lambda proc, run_dir: None, **tables):
    """A run whose model endpoint goes down at the event ``down_at`` and comes back (same port)
    after the event ``up_after``. Returns the run directory and the run's output."""
    server = ScriptedModelServer(demo_script(load_benchmark(EvaluationConfig(tasks=TASKS)).tasks)).start()
    run_dir = tmp_path / "run"
    config = write_config(tmp_path / "dgm.toml", server.base_url, TASKS, **tables, evaluation={"check_suite": False},
                          model={"max_retries": 1, "retry_base_s": 0.1, "retry_max_s": 0.5, "pause_probe_s": 0.5})
    proc = subprocess.Popen([sys.executable, "-m", "dgm", "run", "--config", str(config), "--run-dir", str(run_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait(proc, down_at, _seen(run_dir, down_at))
        server.stop()
        _wait(proc, up_after, _seen(run_dir, up_after))
        while_down(proc, run_dir)
        server.start()
        out, err = proc.communicate(timeout=600)
    finally:
        proc.kill()
        server.stop()
    assert proc.returncode == 0, err[-3000:]
    return run_dir, out


def test_the_run_pauses_while_the_endpoint_is_down_and_goes_on_when_it_returns(tmp_path, docker_client):
    def paused_and_says_so(proc, run_dir):
        beat = run_dir / "heartbeat.json"
        _wait(proc, "a paused heartbeat", lambda: beat.exists() and json.loads(beat.read_text())["state"] == "paused")
        status = subprocess.run([sys.executable, "-m", "dgm", "status", "--run-dir", str(run_dir)],
                                capture_output=True, text=True, timeout=60)
        assert f"live: pid {proc.pid}, paused: model endpoint down since" in status.stdout, status.stdout[-1500:]

    run_dir, out = _run_through_an_outage(tmp_path, "attempt_started", "endpoint_down", paused_and_says_so,
                                          loop={"generations": 2, "parents_per_generation": 2, "workers": 2})
    archive = Archive.in_dir(run_dir)
    try:
        run = archive.latest_run()
        agents = archive.agents(run.id)
        assert run.status == "finished" and len(agents) == 5
        # No attempt was burnt by the outage: every one got a real verdict.
        assert all(a.status in ("seed", "valid", "rejected", "duplicate") for a in agents), [(a.id, a.status, a.reason) for a in agents]
        assert not any("diagnosis call failed" in (a.reason or "") for a in agents)
        failed_tries = [c for c in archive.calls(run_id=run.id) if c.error]
        assert failed_tries and all(c.cost_usd == 0 for c in failed_tries)
    finally:
        archive.close()
    kinds = [e["event"] for e in _events(run_dir)]
    assert kinds.index("endpoint_down") < kinds.index("endpoint_up")
    assert "paused" in out or "endpoint down" in out


def test_an_outage_longer_than_an_agents_timeout_costs_time_not_a_result(tmp_path, docker_client):
    # The seed is evaluated while the endpoint is down for longer than an agent may run (15 s): the
    # agent's container is killed by its wall limit while its calls wait, and without care its task
    # would count as failed. Its run is repeated instead, not recorded.
    run_dir, _ = _run_through_an_outage(tmp_path, "seed_evaluation_started", "agent_run_repeated",
                                        sandbox={"agent_timeout_s": 15}, loop={"generations": 0})
    archive = Archive.in_dir(run_dir)
    try:
        run = archive.latest_run()
        [seed] = archive.agents(run.id)
        evaluations = archive.evaluations(seed.id)
        assert run.status == "finished" and len(evaluations) == len(TASKS)
        assert not [e.task_id for e in evaluations if e.agent_status == "timeout"]
        # The seed solves exactly its easy tasks, as it does without an outage.
        assert (seed.n_resolved, seed.n_tasks) == (2, 3)
    finally:
        archive.close()
    kinds = [e["event"] for e in _events(run_dir)]
    assert kinds.index("endpoint_down") < kinds.index("agent_run_repeated") < kinds.index("endpoint_up")
