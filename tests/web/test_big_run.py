"""The synthetic big-run generator (benchmarks/perf/make_big_run.py) and the API on what it writes."""

from benchmarks.perf.make_big_run import make_big_run
from tests.web.conftest import client


def test_a_generated_run_is_realistic_and_served(run_root):
    made = make_big_run(run_root / "big", n_agents=300, n_tasks=6, seed=1)
    api = client(run_root)
    summary = api.get("/api/runs/big").json()
    assert summary["agents"] == made["agents"] == 300 and summary["best_id"] == made["best_id"]
    assert {"seed", "valid", "rejected"} <= summary["counts"].keys()
    nodes = api.get("/api/runs/big/agents").json()
    assert all(n["parent_id"] is None or n["parent_id"] < n["id"] for n in nodes)
    assert summary["best_path"][0] == 1 and summary["best_path"][-1] == made["best_id"]
    assert summary["cost_usd"] > 0 and len(api.get("/api/runs/big/charts").json()["iterations"]) == made["generations"] + 1
    best = api.get(f"/api/runs/big/agents/{made['best_id']}").json()
    assert best["download_url"] is None and best["diagnosis"]["problem_description"]
    assert api.get(f"/api/runs/big/agents/{made['best_id']}/diff").json()["available"] is False
    assert api.get(f"/api/runs/big/agents/{made['best_id']}/tasks").json()["tasks"]


def test_generation_is_deterministic(tmp_path):
    first = make_big_run(tmp_path / "one", n_agents=60, n_tasks=4, seed=7)
    second = make_big_run(tmp_path / "two", n_agents=60, n_tasks=4, seed=7)
    assert first == second
