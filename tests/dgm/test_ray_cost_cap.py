"""The hard dollar cap with jobs on two Ray nodes: every model call still reserves its worst case in
the coordinator's gateway (the nodes reach it through the bridge and hold no key), so the run stops
at the cap with an overshoot of exactly 0, and says why."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from archive_db import Archive

pytestmark = pytest.mark.docker

TASKS = "slugify-unicode,semver-prerelease-order,phonenorm-international-prefix,roman-subtractive-parsing"
CAP = 0.10


def test_the_cap_holds_with_jobs_on_two_nodes(ray_cluster, tmp_path):
    run_dir = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "dgm", "run", "--demo", "--run-dir", str(run_dir), "--tasks", TASKS, "--no-check",
                           "--stage-sizes", "4", "--generations", "5", "--workers", "2", "--max-cost", str(CAP),
                           "--executor", "ray", "--ray-address", ray_cluster.address],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert f"stopped: cost cap ${CAP:.2f} reached" in proc.stdout
    archive = Archive.in_dir(run_dir)
    try:
        run = archive.latest_run()
        spent = archive.cost(run_id=run.id)
        assert run.status == "stopped" and 0 < spent
        assert max(0.0, spent - CAP) == 0.0  # the overshoot
        assert spent == pytest.approx(sum(c.cost_usd for c in archive.calls(run_id=run.id) if c.error is None))
    finally:
        archive.close()
    nodes = {log.read_text().splitlines()[0] for log in (run_dir / "logs" / "jobs").glob("*.log")}
    assert len(nodes) == 2, nodes  # the jobs ran on both nodes
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    [stop] = [e for e in events if e["event"] == "budget_exhausted"]
    assert stop["cap"] == CAP and stop["spent"] <= CAP
