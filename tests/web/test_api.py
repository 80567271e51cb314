from fastapi.testclient import TestClient

from archive_db import Archive
from web.app import create_app


def _run(root, name, scores):
    archive = Archive.in_dir(root / name)
    run = archive.create_run(name, "{}", "0")
    parent_id = None
    for i, score in enumerate(scores):
        parent_id = archive.add_agent(run_id=run.id, parent_id=parent_id, generation=i,
                                      status="seed" if i == 0 else "valid", score=score).id
    archive.record_call(run_id=run.id, purpose="solve", model="m", cost_usd=0.5)
    archive.close()


def test_runs_and_agents(tmp_path):
    _run(tmp_path, "a", [0.2, 0.6])
    (tmp_path / "not-a-run").mkdir()
    client = TestClient(create_app(tmp_path))
    assert client.get("/api/health").json() == {"status": "ok"}
    [run] = client.get("/api/runs").json()
    assert (run["dir"], run["agents"], run["best_score"], run["cost_usd"]) == ("a", 2, 0.6, 0.5)
    agents = client.get("/api/runs/a/agents").json()
    assert [a["parent_id"] for a in agents] == [None, agents[0]["id"]]


def test_unknown_and_traversing_run_names_are_404(tmp_path):
    _run(tmp_path, "a", [0.1])
    client = TestClient(create_app(tmp_path))
    for name in ("nope", "..", "%2e%2e", "a%2F..%2F.."):
        assert client.get(f"/api/runs/{name}/agents").status_code == 404
