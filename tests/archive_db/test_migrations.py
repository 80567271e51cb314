from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

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
    assert _index_columns(tmp_path / "a.sqlite") == list(AGENT_TREE_COLUMNS) and AGENT_TREE_COLUMNS[-1] == "flag"


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
        assert _index_columns(tmp_path / "a.sqlite") == [*old_index, "flag"]
        assert archive.flag_agent(1, "resolved the impossible task x")
        archive.add_evaluation(agent_id=1, task_id="c", stage=0, canary=True, tampered="canary test passed")
    finally:
        archive.close()
    downgrade(make_engine(url), "0004_compressed_texts")
    assert "flag" not in _columns(tmp_path / "a.sqlite", "agents")
    assert not {"tampered", "canary"} & _columns(tmp_path / "a.sqlite", "evaluations")
    assert _index_columns(tmp_path / "a.sqlite") == old_index
    Archive(url).close()  # and up again
    assert _index_columns(tmp_path / "a.sqlite")[-1] == "flag"
