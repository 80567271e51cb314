"""The ablation baselines (`--policy greedy|random|latest`) as real scripted runs: each finishes within its
evaluation budget, and every parent it expanded was chosen by its own rule, as its recorded decisions say."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from archive_db import Archive

pytestmark = pytest.mark.docker

TASKS = "slugify-unicode,semver-prerelease-order"
RULES = {"greedy": "parent by best", "random": "parent by random", "latest": "parent by latest"}


@pytest.mark.parametrize("policy", sorted(RULES))
def test_a_baseline_policy_runs_end_to_end(policy, tmp_path, docker_client):
    run_dir = tmp_path / "run"
    config = tmp_path / "run.toml"  # no canary checks: the staged policies' own runs (the demo's) check them
    config.write_text("[evaluation]\ncheat_canaries = false\n")
    proc = subprocess.run([sys.executable, "-m", "dgm", "run", "--demo", "--config", str(config), "--run-dir", str(run_dir),
                           "--tasks", TASKS, "--no-check", "--stage-sizes", "2", "--policy", policy, "--generations", "3",
                           "--parents", "1", "--workers", "2", "--max-evaluations", "6"], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    archive = Archive.in_dir(run_dir)
    try:
        run = archive.latest_run()
        agents = archive.agents(run.id)
        decisions = archive.decisions(run.id)
        evaluated = sum(len(archive.evaluations(a.id)) for a in agents)
    finally:
        archive.close()
    assert run.status == "finished" and json.loads(run.config_json)["loop"]["policy"] == policy
    # Staged evaluation runs each agent's stage whole, so the budget is met or passed by less than a stage.
    assert 2 <= evaluated < 6 + 2
    expansions = [d for d in decisions if d.kind == "expand"]
    assert len(expansions) == len(agents) - 1 >= 1
    assert all(d.rule == RULES[policy] for d in expansions), [d.rule for d in expansions]
    assert all(a.status in ("seed", "valid", "rejected", "duplicate") for a in agents), [(a.id, a.status) for a in agents]
