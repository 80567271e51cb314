"""The same scripted run (`dgm run --demo`) with `--executor ray` on a real two-node Ray cluster and
with the local executor: the same archive comes out (agents, their statuses and lineage, evaluations
per agent, model calls recorded by the coordinator alone), its jobs spread over both nodes, and every
job's model calls crossed the node-to-coordinator bridge to the coordinator's gateways."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from archive_db import Archive

pytestmark = pytest.mark.docker

TASKS = "slugify-unicode,semver-prerelease-order,roman-subtractive-parsing"


def demo_run(run_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dgm", "run", "--demo", "--run-dir", str(run_dir), "--tasks", TASKS, "--no-check",
                           "--stage-sizes", "3", "--generations", "2", "--parents", "1", "--workers", "2", *args],
                          capture_output=True, text=True, timeout=900)


def shape(run_dir: Path) -> dict:
    archive = Archive.in_dir(run_dir)
    try:
        run = archive.latest_run()
        agents = archive.agents(run.id)
        evaluations = {a.id: archive.evaluations(a.id, canary=None) for a in agents}
        pairs = [(e.agent_id, e.task_id) for es in evaluations.values() for e in es]
        return {
            "status": run.status,
            "agents": sorted((a.generation, a.status, a.parent_id is None, len(evaluations[a.id])) for a in agents),
            "duplicates": [p for p, n in Counter(pairs).items() if n > 1],
            "calls": len(archive.calls(run_id=run.id)) > 0,
        }
    finally:
        archive.close()


@pytest.fixture(scope="module")
def runs(ray_cluster, tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("ray-run")
    local = demo_run(root / "local")
    assert local.returncode == 0, local.stdout[-3000:] + local.stderr[-3000:]
    ray = demo_run(root / "ray", "--executor", "ray", "--ray-address", ray_cluster.address)
    assert ray.returncode == 0, ray.stdout[-3000:] + ray.stderr[-3000:]
    return {"local": root / "local", "ray": root / "ray"}


def test_a_ray_run_files_the_same_archive_as_a_local_one(runs):
    local, ray = shape(runs["local"]), shape(runs["ray"])
    assert ray == local
    assert ray["status"] == "finished" and ray["duplicates"] == [] and ray["calls"]
    assert [a[1] for a in ray["agents"]].count("seed") == 1 and len(ray["agents"]) == 3


def test_its_jobs_ran_on_both_nodes_and_each_ended_once(runs):
    logs = sorted((runs["ray"] / "logs" / "jobs").glob("*.log"))
    nodes = {log.read_text().splitlines()[0] for log in logs}
    assert len(nodes) == 2 and all(n.startswith("[ran on Ray node ") for n in nodes), nodes
    events = [json.loads(line) for line in (runs["ray"] / "events.jsonl").read_text().splitlines()]
    started = Counter(e["job"] for e in events if e["event"] == "job_started")
    finished = Counter(e["job"] for e in events if e["event"] == "job_finished")
    assert started == finished and {e["outcome"] for e in events if e["event"] == "job_finished"} <= {"done", "settled"}
