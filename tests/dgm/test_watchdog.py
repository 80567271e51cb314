"""The watchdog: an attempt that makes no progress is killed and recorded; the run goes on and
reports its liveness to `dgm status` from another shell."""

import json
import random
import subprocess
import sys

import pytest

from archive_db import Archive
from benchmarks.registry import load_benchmark
from dgm.config import EvaluationConfig, RunConfig
from dgm.demo import VERIFY, _problem_key, demo_script
from dgm.models.scripted import ScriptedModelServer
from dgm.runtime import Runtime
from tests.dgm.scripted_run import write_config

TASKS = ["slugify-unicode", "roman-subtractive-parsing"]


def test_only_watched_attempts_in_flight_can_stall():
    # The parts a Runtime wires are not needed for its bookkeeping of attempts in flight.
    rt = Runtime(config=RunConfig(), archive=None, run_id=1, repo=None, sandbox=None, models=None, tasks=[])  # type: ignore[arg-type]
    rt.started(7)
    rt.started(1, watched=False)  # the seed's evaluation: its steps have their own limits
    assert rt.in_flight() == [1, 7]
    assert [agent for agent, _ in rt.idle_attempts(limit_s=-1)] == [7]
    rt.mark_stalled(7)
    assert rt.idle_attempts(limit_s=-1) == [] and rt.is_stalled(7)  # killed once, not again
    rt.ended(7)
    assert rt.in_flight() == [1]


def _run(script: dict, silent_rule: str, tmp_path, **config) -> None:
    """`dgm run` in tmp_path/run against ``script``, whose ``silent_rule`` must have answered once; it finishes."""
    with ScriptedModelServer(script) as server:
        path = write_config(tmp_path / "dgm.toml", server.base_url, TASKS, **config)
        proc = subprocess.run([sys.executable, "-m", "dgm", "run", "--config", str(path), "--run-dir", str(tmp_path / "run")],
                              capture_output=True, text=True, timeout=600)
        assert server.hits(silent_rule) == 1
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.mark.docker
def test_a_stalled_attempt_is_killed_recorded_and_the_run_finishes(tmp_path, docker_client):
    script = demo_script(load_benchmark(EvaluationConfig(tasks=TASKS)).tasks)
    # The self-edit runs one command that sits silent for a minute: no model call, no new step.
    script["rule"].insert(1, {"name": "silent-self-edit", "match": {"contains": "DEMO-CHANGE", "turn": 0},
                              "reply": {"tool_calls": [{"name": "bash", "arguments": {"command": "sleep 55"}}]}})
    run_dir = tmp_path / "run"
    _run(script, "silent-self-edit", tmp_path, loop={"attempt_stall_s": 8}, evaluation={"check_suite": False})
    archive = Archive.in_dir(run_dir)
    try:
        run = archive.latest_run()
        [seed, child] = archive.agents(run.id)
        assert run.status == "finished" and seed.status == "seed" and seed.score is not None
        assert child.status == "failed" and child.reason.startswith("stalled: no progress for over 8 s"), child.reason
        assert child.finished_at is not None and child.commit is None
    finally:
        archive.close()
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    [stalled] = [e for e in events if e["event"] == "attempt_stalled"]
    assert stalled["agent"] == child.id and stalled["idle_s"] >= 8 and stalled["containers_removed"] == 1
    assert docker_client.containers.list(all=True, filters={"label": f"dgm.run_dir={run_dir.resolve()}"}) == []
    # From another shell, after the run: not running, finished, and when it last did something.
    status = subprocess.run([sys.executable, "-m", "dgm", "status", "--run-dir", str(run_dir)], capture_output=True, text=True, timeout=60)
    assert status.returncode == 0 and "not running now; run finished; last activity: run_finished" in status.stdout
    beat = json.loads((run_dir / "heartbeat.json").read_text())
    assert beat["state"] == "stopped" and beat["active_s"] > 8 and beat["in_flight"] == []


@pytest.mark.docker
def test_under_hgm_a_filed_agents_stalled_task_is_run_again_and_its_verdict_stands(tmp_path, docker_client):
    """hgm evaluates filed agents further: a stall then is no verdict on the agent (it was filed already);
    the stalled job ends, and the task is issued again."""
    tasks = load_benchmark(EvaluationConfig(tasks=TASKS)).tasks
    script = demo_script(tasks)
    script["rule"][0]["replies"] = script["rule"][0]["replies"][:1]  # every diagnosis: "verify" (a valid child)
    # hgm's order of the suite for agent 2 (the child), as the policy draws it: its second task sits silent once.
    # (The stall limit leaves a loaded machine time for the child's self-edit and gate, which must not stall.)
    order = sorted(t.id for t in tasks)
    random.Random("0:hgm-order:2").shuffle(order)
    second = next(t for t in tasks if t.id == order[1])
    script["rule"].insert(0, {"name": "silent-second-task", "times": 1,
                              "match": {"contains": _problem_key(second), "system_contains": VERIFY, "turn": 0},
                              "reply": {"tool_calls": [{"name": "bash", "arguments": {"command": "sleep 300"}}]}})
    run_dir = tmp_path / "run"
    _run(script, "silent-second-task", tmp_path, loop={"attempt_stall_s": 30, "policy": "hgm", "workers": 1, "seed": 0},
         evaluation={"cheat_canaries": False, "check_suite": False})
    archive = Archive.in_dir(run_dir)
    try:
        [seed, child] = archive.agents(archive.latest_run().id)
        evaluations = archive.evaluations(child.id)
    finally:
        archive.close()
    assert child.id == 2 and child.status == "valid" and child.reason != "stalled"
    assert sorted(e.task_id for e in evaluations) == sorted(TASKS) and child.n_tasks == len(TASKS)  # once each
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    [stalled] = [e for e in events if e["event"] == "attempt_stalled"]
    [repeated] = [e for e in events if e["event"] == "agent_run_repeated"]
    assert stalled["agent"] == repeated["agent"] == child.id and repeated["reason"].startswith("stalled")
    assert not any(e["event"] == "attempt_finished" and e["agent"] == child.id and e["status"] != "valid" for e in events)
    assert docker_client.containers.list(all=True, filters={"label": f"dgm.run_dir={run_dir.resolve()}"}) == []
