import json
import sqlite3

from archive_db.reader import AGENT_SUMMARY, RunReader
from archive_db.store import downgrade, make_engine
from tests.web.conftest import client, write_run


def test_an_archive_from_an_older_dgm_is_read_without_upgrading_it(run_root):
    run = write_run(run_root, "old", [0.2, 0.7])
    engine = make_engine(f"sqlite:///{run['dir'] / 'archive.sqlite'}")
    downgrade(engine, "0001_initial")  # no grading provenance columns, no dashboard indexes
    engine.dispose()
    api = client(run_root)
    [task] = [t for t in api.get(f"/api/runs/old/agents/{run['ids'][1]}/tasks").json()["tasks"] if t["task_id"] == "task-a"]
    assert task["flip"] == "newly_solved" and "exit_code" not in task
    assert api.get("/api/runs/old").json()["best_score"] == 0.7
    # No canary column, no decisions, no recorded best: every evaluation counts, nothing was chosen.
    assert api.get(f"/api/runs/old/agents/{run['ids'][0]}").json()["search"] == {
        "policy": "dgm", "evaluations": 2, "passes": 0, "clade_evaluations": 4, "clade_passes": 1,
        "chosen": {}, "decisions": []}
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
    # The tree's own columns (the flag among them, since migration 0005), as the reader asks for them.
    assert "flag" in AGENT_SUMMARY
    tree = f"SELECT {', '.join(f'`{c}`' for c in AGENT_SUMMARY)} FROM agents WHERE run_id = 1 ORDER BY id"
    for sql in (tree, "SELECT agent_id, sum(cost_usd) FROM model_calls WHERE run_id = 1 GROUP BY agent_id"):
        with reader.engine.connect() as conn:
            plans.append(" ".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")))
    reader.close()
    assert "COVERING INDEX ix_agents_tree" in plans[0]
    assert "COVERING INDEX ix_model_calls_run_agent_cost" in plans[1]


def test_compressed_texts_are_shown_whole_with_their_true_sizes_in_new_and_old_archives(run_root):
    from archive_db import Archive
    from archive_db.compressed import MARKER

    transcript = json.dumps([{"role": "user", "content": f"message {k} " + "pytest output " * 20} for k in range(60)])
    output = "".join(f"tests/test_x.py::test_{k} PASSED\n" for k in range(400))
    run = write_run(run_root, "big", [0.5])
    archive = Archive.in_dir(run["dir"])
    agent_id = run["ids"][0]
    archive.update_agent(agent_id, transcript_json=transcript)
    ev = archive.add_evaluation(agent_id=agent_id, task_id="task-c", stage=1, patch="diff --git a/y b/y\n",
                                test_output=output, transcript_json=transcript)
    archive.close()
    with sqlite3.connect(run["dir"] / "archive.sqlite") as db:
        assert db.execute("SELECT transcript_json FROM agents WHERE id = ?", (agent_id,)).fetchone()[0].startswith(MARKER)

    def shown() -> tuple:
        reader = RunReader(run["dir"])
        try:
            [row] = [r for r in reader.evaluations([agent_id]) if r["id"] == ev.id]
            return (reader.agent(run["run_id"], agent_id)["transcript_chars"], reader.agent_transcript(run["run_id"], agent_id),
                    row["transcript_chars"], row["patch_chars"], reader.evaluation(agent_id, ev.id)["test_output"],
                    reader.evaluation_transcript(agent_id, ev.id))
        finally:
            reader.close()

    expected = (len(transcript), transcript, len(transcript), len("diff --git a/y b/y\n"), output, transcript)
    assert shown() == expected
    api = client(run_root)
    [task] = [t for t in api.get(f"/api/runs/big/agents/{agent_id}/tasks").json()["tasks"] if t["task_id"] == "task-c"]
    assert (task["transcript_chars"], task["patch_chars"]) == expected[2:4]
    assert api.get(f"/api/runs/big/agents/{agent_id}/tasks/{ev.id}").json()["test_output"] == output
    assert api.get(f"/api/runs/big/agents/{agent_id}/transcript?limit=5").json()["total"] == 60
    engine = make_engine(f"sqlite:///{run['dir'] / 'archive.sqlite'}")
    downgrade(engine, "0003_dashboard_indexes")  # an older dgm's archive: plain texts, no size columns
    engine.dispose()
    assert shown() == expected
