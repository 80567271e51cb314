"""A Ray node lost mid-run (its processes killed at once, as when its machine dies): the job it held is
issued again on a node still there, the run finishes, and every planned job is recorded exactly once
(no (agent, task) evaluated twice, every attempt settled); the lost job's own containers are gone."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter

import pytest

from archive_db import Archive
from tests.dgm.conftest import NODE_MARK, job_runners

pytestmark = pytest.mark.docker

TASKS = "slugify-unicode,semver-prerelease-order,roman-subtractive-parsing,phonenorm-international-prefix"


def test_a_node_lost_mid_job_leaves_every_job_recorded_once(ray_cluster, docker_client, tmp_path):
    doomed = ray_cluster.add_node("doomed")  # a third one-CPU node; three jobs at once reach it
    run_dir = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "dgm", "run", "--demo", "--run-dir", str(run_dir), "--tasks", TASKS, "--no-check",
                             "--stage-sizes", "4", "--generations", "2", "--parents", "2", "--workers", "3",
                             "--executor", "ray", "--ray-address", ray_cluster.address],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300
        while not (doomed_runners := [pid for pid, env in job_runners().items() if env.get(NODE_MARK) == "doomed"]):
            assert proc.poll() is None and time.monotonic() < deadline, "no job reached the third node"
            time.sleep(0.1)
        ray_cluster.remove_node(doomed)
        # The lost job's runner removes its own containers when its worker dies under it (dgm/job_guard.py).
        deadline = time.monotonic() + 60
        while any(docker_client.api.containers(all=True, filters={"label": f"dgm.owner_pid={p}"}) for p in doomed_runners):
            assert time.monotonic() < deadline, "the lost job left a container"
            time.sleep(0.2)
        out, err = proc.communicate(timeout=900)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, out[-3000:] + err[-3000:]

    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    lost = [e for e in events if e["event"] == "job_finished" and e["outcome"] == "lost"]
    assert len(lost) == 1, [e for e in events if e["event"] == "job_finished"]
    assert any(e["event"] == "agent_run_repeated" and e["job"] == lost[0]["job"] and "node was lost" in e["reason"]
               for e in events)
    archive = Archive.in_dir(run_dir)
    try:
        run = archive.latest_run()
        agents = archive.agents(run.id)
        pairs = Counter((e.agent_id, e.task_id) for a in agents for e in archive.evaluations(a.id, canary=None))
        assert run.status == "finished"
        assert all(n == 1 for n in pairs.values()), pairs
        assert len(agents) == 5 and all(a.status in ("seed", "valid", "rejected", "duplicate") for a in agents)
        seed = next(a for a in agents if a.status == "seed")
        assert {t for (agent, t) in pairs if agent == seed.id} >= set(TASKS.split(","))  # the lost job was done again
    finally:
        archive.close()
