"""The watchdog: an attempt that makes no progress is killed and recorded; the run goes on and
reports its liveness to `dgm status` from another shell."""

import json
import subprocess
import sys

import pytest

from archive_db import Archive
from benchmarks.registry import load_benchmark
from dgm.config import EvaluationConfig, RunConfig
from dgm.demo import demo_script
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


@pytest.mark.docker
def test_a_stalled_attempt_is_killed_recorded_and_the_run_finishes(tmp_path, docker_client):
    script = demo_script(load_benchmark(EvaluationConfig(tasks=TASKS)).tasks)
    # The self-edit runs one command that sits silent for a minute: no model call, no new step.
    script["rule"].insert(1, {"name": "silent-self-edit", "match": {"contains": "DEMO-CHANGE", "turn": 0},
                              "reply": {"tool_calls": [{"name": "bash", "arguments": {"command": "sleep 55"}}]}})
    run_dir = tmp_path / "run"
    with ScriptedModelServer(script) as server:
        config = write_config(tmp_path / "dgm.toml", server.base_url, TASKS, loop={"attempt_stall_s": 8})
        proc = subprocess.run([sys.executable, "-m", "dgm", "run", "--config", str(config), "--run-dir", str(run_dir)],
                              capture_output=True, text=True, timeout=600)
        assert server.hits("silent-self-edit") == 1
    assert proc.returncode == 0, proc.stderr[-3000:]
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
