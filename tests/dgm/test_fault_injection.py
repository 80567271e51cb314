"""A real run while the model misbehaves on 30% of its calls (rate limits, server errors, timeouts,
malformed tool calls): the run finishes its generations, every failed try is recorded at no cost,
and the recorded spend equals the cost of exactly the answers the model served."""

import json
import subprocess
import sys

import pytest

from archive_db import Archive
from benchmarks.registry import load_benchmark
from dgm.config import EvaluationConfig
from dgm.demo import DEMO_PRICES, demo_script
from dgm.models.scripted import ScriptedModelServer
from tests.dgm.scripted_run import write_config

pytestmark = pytest.mark.docker

TASKS = ["slugify-unicode", "roman-subtractive-parsing", "semver-prerelease-order", "exprlex-string-escapes"]
GENERATIONS, PARENTS = 2, 2


def test_a_run_survives_thirty_percent_faulty_model_calls_with_honest_spend(tmp_path, docker_client):
    script = demo_script(load_benchmark(EvaluationConfig(tasks=TASKS)).tasks)
    script["faults"] = {"rate": 0.3, "seed": 11, "kinds": ["429", "500", "timeout", "malformed"], "timeout_s": 4.0}
    run_dir = tmp_path / "run"
    with ScriptedModelServer(script) as server:
        config = write_config(tmp_path / "dgm.toml", server.base_url, TASKS,
                              model={"request_timeout_s": 1.5, "retry_base_s": 0.2, "retry_max_s": 2.0, "pause_probe_s": 0.5},
                              loop={"generations": GENERATIONS, "parents_per_generation": PARENTS, "workers": 2},
                              evaluation={"check_suite": False})
        proc = subprocess.run([sys.executable, "-m", "dgm", "run", "--config", str(config), "--run-dir", str(run_dir)],
                              capture_output=True, text=True, timeout=900)
        stats = server.stats()
    assert proc.returncode == 0, proc.stderr[-3000:]
    faults = stats["faults"]
    print(f"faults injected: {faults}; answers served: {stats['completions']}")
    assert all(faults[kind] > 0 for kind in ("429", "500", "timeout", "malformed")), faults
    archive = Archive.in_dir(run_dir)
    try:
        run = archive.latest_run()
        agents = archive.agents(run.id)
        assert run.status == "finished"
        assert len(agents) == 1 + GENERATIONS * PARENTS
        assert all(a.status in ("seed", "valid", "rejected", "duplicate") for a in agents), [(a.id, a.status, a.reason) for a in agents]
        calls = archive.calls(run_id=run.id)
        failed = [c for c in calls if c.error]
        # Every try that failed is on record, and costs nothing; the answers served are what was paid.
        assert len(failed) == faults["429"] + faults["500"] + faults["timeout"]
        assert all(c.cost_usd == 0 and c.prompt_tokens == 0 for c in failed)
        assert len(calls) - len(failed) == stats["completions"]
        served = sum((u["prompt_tokens"] * DEMO_PRICES[m].input + u["completion_tokens"] * DEMO_PRICES[m].output) / 1e6
                     for m, u in stats["usage_by_model"].items())
        assert archive.cost(run_id=run.id) == pytest.approx(served, abs=1e-12)
    finally:
        archive.close()
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    assert sum(e["event"] == "model_retry" for e in events) > 0
