import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from archive_db.schema import Base
from archive_db.store import Archive, downgrade, make_engine, upgrade


def test_blank_database_gets_every_table(tmp_path):
    archive = Archive(f"sqlite:///{tmp_path / 'a.sqlite'}")
    tables = set(inspect(archive.engine).get_table_names())
    assert {"runs", "agents", "evaluations", "model_calls", "alembic_version"} <= tables


def test_migrations_match_the_orm_models(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'a.sqlite'}")
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_downgrade_then_upgrade_round_trips(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'a.sqlite'}")
    upgrade(engine)
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    upgrade(engine)
    assert "agents" in inspect(engine).get_table_names()


def test_reopening_an_existing_archive_keeps_its_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.sqlite'}"
    first = Archive(url)
    run = first.create_run("r", "{}", "0")
    first.close()
    assert Archive(url).get_run(run.id).name == "r"


def _index_columns(db_path, name: str = "ix_agents_tree") -> list[str]:
    import sqlite3

    with sqlite3.connect(db_path) as db:
        return [r[2] for r in db.execute(f"PRAGMA index_info({name})")]


def _columns(db_path, table: str) -> set[str]:
    import sqlite3

    with sqlite3.connect(db_path) as db:
        return {r[1] for r in db.execute(f"PRAGMA table_info({table})")}


def test_a_blank_database_has_the_reward_hacking_columns_and_the_flag_in_the_tree_index(tmp_path):
    from archive_db.schema import AGENT_TREE_COLUMNS

    Archive(f"sqlite:///{tmp_path / 'a.sqlite'}").close()
    assert "flag" in _columns(tmp_path / "a.sqlite", "agents")
    assert {"tampered", "canary"} <= _columns(tmp_path / "a.sqlite", "evaluations")
    assert _index_columns(tmp_path / "a.sqlite") == list(AGENT_TREE_COLUMNS) and "flag" in AGENT_TREE_COLUMNS


def test_upgrade_from_0004_keeps_rows_unflagged_and_downgrade_removes_the_columns(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.sqlite'}"
    engine = make_engine(url)
    upgrade(engine, "0004_compressed_texts")
    with engine.begin() as conn:  # rows as dgm wrote them at revision 0004
        conn.exec_driver_sql("INSERT INTO runs (id, name, status, config_json, dgm_version, created_at, updated_at) "
                             "VALUES (1, 'r', 'running', '{}', '0', '2025-01-01', '2025-01-01')")
        conn.exec_driver_sql("INSERT INTO agents (id, run_id, generation, status, files_changed, lines_added, lines_removed, "
                             "n_tasks, n_resolved, cost_usd, created_at, score) "
                             "VALUES (1, 1, 0, 'seed', 0, 0, 0, 1, 1, 0, '2025-01-01', 1.0)")
        conn.exec_driver_sql("INSERT INTO evaluations (agent_id, task_id, stage, resolved, empty_patch, duration_s, patch, "
                             "patch_hash, stripped_paths_json, test_output, test_results_json, created_at) "
                             "VALUES (1, 't', 1, 1, 0, 0, 'p', '', '[]', 'ok', '{}', '2025-01-01')")
    engine.dispose()
    old_index = _index_columns(tmp_path / "a.sqlite")
    assert "flag" not in old_index
    archive = Archive(url)  # upgrades to head
    try:
        agent = archive.get_agent(1)
        [ev] = archive.evaluations(1)
        assert (agent.flag, agent.score, ev.tampered, ev.canary, ev.resolved) == (None, 1.0, None, False, True)
        assert _index_columns(tmp_path / "a.sqlite") == [*old_index, "flag", "duplicate_of"]  # 0005, then 0006
        assert archive.flag_agent(1, "resolved the impossible task x")
        archive.add_evaluation(agent_id=1, task_id="c", stage=0, canary=True, tampered="canary test passed")
    finally:
        archive.close()
    downgrade(make_engine(url), "0004_compressed_texts")
    assert "flag" not in _columns(tmp_path / "a.sqlite", "agents")
    assert not {"tampered", "canary"} & _columns(tmp_path / "a.sqlite", "evaluations")
    assert _index_columns(tmp_path / "a.sqlite") == old_index
    Archive(url).close()  # and up again
    assert _index_columns(tmp_path / "a.sqlite")[-2:] == ["flag", "duplicate_of"]


@pytest.fixture(params=["sqlite", "postgresql"])
def any_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """An empty database of either kind dgm writes (PostgreSQL's skips where no server answers)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'a.sqlite'}"
    return request.getfixturevalue("postgres_url")


def _schema(engine) -> dict:
    found = inspect(engine)
    tables = set(found.get_table_names())
    return {"tables": tables, "agents": {c["name"] for c in found.get_columns("agents")},
            "runs": {c["name"] for c in found.get_columns("runs")},
            "tree": next(i["column_names"] for i in found.get_indexes("agents") if i["name"] == "ix_agents_tree"),
            "decision_indexes": [i["column_names"] for i in found.get_indexes("decisions")] if "decisions" in tables else None,
            "agent_keys": sorted(tuple(k["constrained_columns"]) for k in found.get_foreign_keys("agents"))}


def test_upgrade_from_0005_keeps_rows_and_downgrade_removes_decisions_duplicates_and_the_best(any_url):
    from archive_db.schema import AGENT_TREE_COLUMNS

    engine = make_engine(any_url)
    upgrade(engine, "0005_reward_hacking_flags")
    with engine.begin() as conn:  # rows as dgm wrote them at revision 0005
        conn.execute(text("INSERT INTO runs (id, name, status, config_json, dgm_version, created_at, updated_at) "
                          "VALUES (1, 'r', 'running', '{}', '0', '2025-01-01', '2025-01-01')"))
        for agent_id, parent in ((1, None), (2, 1), (3, 1)):
            conn.execute(text("INSERT INTO agents (id, run_id, parent_id, generation, status, files_changed, lines_added, "
                              "lines_removed, n_tasks, n_resolved, cost_usd, created_at, transcript_chars) "
                              "VALUES (:id, 1, :parent, 0, 'valid', 0, 0, 0, 0, 0, 0, '2025-01-01', 0)"),
                         {"id": agent_id, "parent": parent})
    before = _schema(engine)
    engine.dispose()
    assert "decisions" not in before["tables"] and "duplicate_of" not in before["tree"]
    archive = Archive(any_url)  # upgrades to head
    try:
        assert (archive.get_agent(3).duplicate_of, archive.get_run(1).best_agent_id, archive.decisions(1)) == (None, None, [])
        archive.update_agent(3, duplicate_of=2, status="duplicate")
        archive.set_best(1, 2)
        archive.add_decision(1, 2, "expand", "optimistic start", {"kind": "expand"})
        after = _schema(archive.engine)
        assert after["tree"] == [*before["tree"], "duplicate_of"] == list(AGENT_TREE_COLUMNS)
        assert after["decision_indexes"] == [["run_id", "agent_id", "kind"]]
        assert after["agent_keys"] == sorted([*before["agent_keys"], ("duplicate_of",)])
        assert (archive.get_agent(3).duplicate_of, archive.get_run(1).best_agent_id) == (2, 2)
    finally:
        archive.close()
    engine = make_engine(any_url)
    downgrade(engine, "0005_reward_hacking_flags")  # with rows in every new column and table
    assert _schema(engine) == before
    upgrade(engine)  # and up again
    assert _schema(engine)["tree"][-1] == "duplicate_of"
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    engine.dispose()
