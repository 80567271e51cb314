import sqlite3

from archive_db.store import downgrade, make_engine
from tests.web.conftest import client, write_run
from web.reader import RunReader


def test_an_archive_from_an_older_dgm_is_read_without_upgrading_it(run_root):
    run = write_run(run_root, "old", [0.2, 0.7])
    engine = make_engine(f"sqlite:///{run['dir'] / 'archive.sqlite'}")
    downgrade(engine, "0001_initial")  # no grading provenance columns, no dashboard indexes
    engine.dispose()
    api = client(run_root)
    [task] = [t for t in api.get(f"/api/runs/old/agents/{run['ids'][1]}/tasks").json()["tasks"] if t["task_id"] == "task-a"]
    assert task["flip"] == "newly_solved" and "exit_code" not in task
    assert api.get("/api/runs/old").json()["best_score"] == 0.7
    with sqlite3.connect(run["dir"] / "archive.sqlite") as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001_initial",)


def test_cached_answers_follow_the_archive(run_root):
    run = write_run(run_root, "a", [0.2])
    reader = RunReader(run["dir"])
    calls = []
    compute = lambda: calls.append(1) or len(calls)  # noqa: E731
    assert reader.cached("k", compute) == 1 and reader.cached("k", compute) == 1
    before = reader.signature()
    with sqlite3.connect(run["dir"] / "archive.sqlite") as db:
        db.execute("UPDATE runs SET reason = 'x'")
    assert reader.signature() != before
    assert reader.cached("k", compute) == 2
    reader.close()


def test_the_tree_and_spend_queries_use_the_covering_indexes(run_root):
    run = write_run(run_root, "a", [0.2])
    reader = RunReader(run["dir"])
    plans = []
    for sql in ("SELECT id, parent_id, generation, status, score, n_tasks, n_resolved, cost_usd, files_changed, lines_added, "
                "lines_removed, created_at, finished_at, `commit`, target_task, reason FROM agents WHERE run_id = 1 ORDER BY id",
                "SELECT agent_id, sum(cost_usd) FROM model_calls WHERE run_id = 1 GROUP BY agent_id"):
        with reader.engine.connect() as conn:
            plans.append(" ".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")))
    reader.close()
    assert "COVERING INDEX ix_agents_tree" in plans[0]
    assert "COVERING INDEX ix_model_calls_run_agent_cost" in plans[1]
