"""A duplicate is not evaluated twice: two attempts from the seed make the same self-edit (the scripted
diagnosis always proposes the same change), so the second one's code equals the first's. It is filed as
a duplicate of it, linked, its job ended, and it never runs a task."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from archive_db import Archive
from benchmarks.registry import load_benchmark
from dgm.config import EvaluationConfig
from dgm.demo import _diagnosis, demo_script
from dgm.models.scripted import ScriptedModelServer
from kernel.git import git
from tests.dgm.scripted_run import write_config

pytestmark = pytest.mark.docker

TASKS = ["slugify-unicode", "semver-prerelease-order"]  # one the seed solves, one only a "verify" agent does


def test_a_self_edit_equal_to_an_earlier_agents_code_is_filed_as_its_duplicate(tmp_path, docker_client):
    script = demo_script(load_benchmark(EvaluationConfig(tasks=TASKS)).tasks)
    diagnose = script["rule"][0]
    assert diagnose["name"] == "diagnose"
    diagnose["replies"] = [_diagnosis("verify", "Make the agent verify its change before finishing.", "Add a line to the system prompt.")]
    run_dir = tmp_path / "run"
    with ScriptedModelServer(script) as server:
        # Two workers: once the seed is filed (and checked), both start an attempt from it, the only parent there is.
        config = write_config(tmp_path / "dgm.toml", server.base_url, TASKS,
                              loop={"generations": 1, "parents_per_generation": 2, "workers": 2},
                              evaluation={"stage_sizes": [len(TASKS)], "check_suite": False})
        proc = subprocess.run([sys.executable, "-m", "dgm", "run", "--config", str(config), "--run-dir", str(run_dir)],
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    archive = Archive.in_dir(run_dir)
    try:
        run = archive.latest_run()
        seed, *children = archive.agents(run.id)
        evaluations = {a.id: archive.evaluations(a.id, canary=None) for a in children}
    finally:
        archive.close()
    assert run.status == "finished" and [c.parent_id for c in children] == [seed.id, seed.id]
    [original] = [c for c in children if c.status == "valid"]
    [duplicate] = [c for c in children if c.status == "duplicate"]
    tree = lambda commit: git("rev-parse", f"{commit}^{{tree}}", cwd=run_dir / "agents.git").strip()  # noqa: E731
    assert duplicate.commit and duplicate.commit != original.commit and tree(duplicate.commit) == tree(original.commit)
    assert duplicate.duplicate_of == original.id
    assert duplicate.reason == f"its code is identical to agent {original.id}'s"
    assert not evaluations[duplicate.id] and duplicate.n_tasks == 0 and duplicate.score is None
    assert len(evaluations[original.id]) >= len(TASKS)
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    finished = [e for e in events if e["event"] == "attempt_finished" and e["agent"] == duplicate.id]
    assert [e["status"] for e in finished] == ["duplicate"]
    # Its expand job ended at the verdict: it never reached its gate's validation or any task.
    assert not any(e["event"] in ("validated", "task_graded") and e.get("agent") == duplicate.id for e in events)
    assert not docker_client.containers.list(all=True, filters={"label": f"dgm.run_dir={run_dir.resolve()}"})
