"""PostgreSQL as a first-class archive: the migrations, the store, the run directory's record of its
database (never its password) and the read-only reader, on a real server, against the SQLite ones."""

from __future__ import annotations

import json
import re

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from archive_db import Archive
from archive_db.location import DATABASE_FILE, locate, public_url, record, recorded
from archive_db.reader import RunReader, open_run
from archive_db.schema import Base
from archive_db.server_reader import ServerRunReader
from archive_db.store import downgrade, make_engine, open_run_archive, upgrade
from kernel.errors import DgmError, NotFoundError
from tests.archive_db.search_run import EXPECTED, fill_search_run

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_migrations_on_postgresql_match_the_orm_and_round_trip(postgres_url):
    engine = make_engine(postgres_url)
    upgrade(engine)
    assert {"runs", "agents", "evaluations", "model_calls"} <= set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    upgrade(engine)
    assert "agents" in inspect(engine).get_table_names()
    engine.dispose()


def test_long_texts_are_stored_compressed_and_read_back_whole(postgres_url):
    archive = Archive(postgres_url)
    run = archive.create_run("r", "{}", "0")
    agent = archive.add_agent(run_id=run.id, generation=0, status="seed", transcript_json="x" * 50_000)
    with archive.engine.connect() as conn:
        stored = conn.execute(text("SELECT transcript_json, transcript_chars FROM agents")).one()
    assert len(stored[0]) < 1000 and stored[1] == 50_000
    assert archive.get_agent(agent.id).transcript_json == "x" * 50_000
    archive.close()


def test_the_run_directory_records_its_database_without_the_password(tmp_path, postgres_url):
    record(tmp_path, postgres_url, 7)
    saved = (tmp_path / DATABASE_FILE).read_text()
    password = postgres_url.split(":")[2].split("@")[0]
    assert password not in saved and json.loads(saved)["run_id"] == 7
    where = locate(tmp_path)
    assert where.run_id == 7 and where.url.startswith("postgresql+psycopg://") and password not in where.url
    # --db-url with the password names the same database: the password is kept for this process only.
    assert locate(tmp_path, postgres_url).url.endswith(postgres_url.split("://")[1])
    with pytest.raises(DgmError, match="not postgresql"):
        locate(tmp_path, "postgresql://someone@elsewhere/db")


def test_a_damaged_record_or_a_bad_url_is_one_clear_line(tmp_path):
    (tmp_path / DATABASE_FILE).write_text("{not json")
    with pytest.raises(DgmError, match="database.json is damaged"):
        recorded(tmp_path)
    with pytest.raises(DgmError, match="not a database URL"):
        public_url("definitely not a url")


def test_a_wrong_password_is_one_line_without_the_password(postgres_url):
    wrong = postgres_url.replace(postgres_url.split(":")[2].split("@")[0], "not-the-password-123")
    with pytest.raises(DgmError) as caught:
        Archive(wrong)
    message = str(caught.value)
    assert message.startswith("cannot open the archive at postgresql") and "not-the-password-123" not in message
    assert "\n" not in message and "password authentication failed" in message


def test_open_run_archive_finds_the_run_its_directory_names_in_a_shared_database(tmp_path, postgres_url):
    archive = Archive(postgres_url)
    first = archive.create_run("first", "{}", "0")
    archive.create_run("second", "{}", "0")  # another run directory's run, newer
    archive.close()
    record(tmp_path / "a", postgres_url, first.id)
    found, run = open_run_archive(tmp_path / "a", postgres_url)
    found.close()
    assert run.name == "first"
    with pytest.raises(NotFoundError, match="holds no dgm run"):
        open_run_archive(tmp_path / "nothing-here")


def _fill(archive: Archive) -> int:
    """The same small run in any database: a seed and a child, evaluations (one tampered), calls."""
    run = archive.create_run("parity", json.dumps({"loop": {"selection": "best"}}), "0")
    seed = archive.add_agent(run_id=run.id, generation=0, status="seed", score=0.5, n_tasks=2, n_resolved=1,
                             transcript_json=json.dumps([{"role": "user", "content": "hi" * 900}]))
    child = archive.add_agent(run_id=run.id, parent_id=seed.id, generation=1, status="valid", score=1.0, commit="a" * 40,
                              target_task="t1", diagnosis_json='{"improvement_proposal": "x"}')
    for agent, resolved in ((seed, False), (child, True)):
        archive.add_evaluation(agent_id=agent.id, task_id="t1", stage=1, resolved=resolved, patch="diff --git a/x b/x\n" * 200,
                               test_results_json='{"t::a": "PASSED"}', tampered="canary" if agent is child else None)
        archive.record_call(run_id=run.id, agent_id=agent.id, purpose="solve", model="m", prompt_tokens=10,
                            completion_tokens=5, cost_usd=0.125)
    return run.id


def _without_times(rows):
    return [{k: v for k, v in row.items() if not k.endswith("_at")} for row in rows]


def test_the_server_reader_answers_as_the_sqlite_reader_does(tmp_path, postgres_url):
    lite, pg = Archive.in_dir(tmp_path / "lite"), Archive(postgres_url)
    lite_run, pg_run = _fill(lite), _fill(pg)
    lite.close()
    pg.close()
    ours, theirs = RunReader(tmp_path / "lite"), ServerRunReader(postgres_url, pg_run)
    try:
        assert _without_times([ours.run()]) == _without_times([theirs.run()])
        assert ISO.match(theirs.run()["created_at"]) and ISO.match(ours.run()["created_at"])
        agents = theirs.agents(pg_run)
        assert _without_times(ours.agents(lite_run)) == _without_times(agents) and len(agents) == 2
        ids = [a["id"] for a in agents]
        assert _without_times(ours.evaluations(ids)) == _without_times(theirs.evaluations(ids))
        assert ours.agent(lite_run, ids[0])["transcript_chars"] == theirs.agent(pg_run, ids[0])["transcript_chars"] > 1000
        assert ours.agent_transcript(lite_run, ids[0]) == theirs.agent_transcript(pg_run, ids[0])
        assert (ours.spent(lite_run), ours.call_count(lite_run), ours.count_tampered(lite_run)) == \
               (theirs.spent(pg_run), theirs.call_count(pg_run), theirs.count_tampered(pg_run)) == (0.25, 2, 1)
        assert ours.cost_by_agent(lite_run) == theirs.cost_by_agent(pg_run)
        assert theirs.last_activity() is not None
    finally:
        ours.close()
        theirs.close()


def test_the_server_reader_answers_the_search_questions_as_the_sqlite_reader_does(tmp_path, postgres_url):
    lite, pg = Archive.in_dir(tmp_path / "lite"), Archive(postgres_url)
    lite_ids, pg_ids = fill_search_run(lite), fill_search_run(pg)
    lite.close()
    pg.close()
    ours, theirs = RunReader(tmp_path / "lite"), ServerRunReader(postgres_url, pg_ids["run_id"])
    try:
        assert _without_times([ours.run()]) == _without_times([theirs.run()])
        assert (theirs.run()["best_agent_id"], theirs.run()["policy"]) == (pg_ids["a"], "hgm")
        agents = theirs.agents(pg_ids["run_id"])
        assert _without_times(ours.agents(lite_ids["run_id"])) == _without_times(agents)
        assert next(a["duplicate_of"] for a in agents if a["id"] == pg_ids["dup"]) == pg_ids["a"]
        for name, expected in EXPECTED.items():
            mine, server = ours.agent_search(lite_ids["run_id"], lite_ids[name]), theirs.agent_search(pg_ids["run_id"], pg_ids[name])
            assert {k: v for k, v in server.items() if k != "decisions"} == expected, name
            assert _without_times(mine["decisions"]) == _without_times(server["decisions"]), name
            assert all(ISO.match(d["created_at"]) for d in server["decisions"])
    finally:
        ours.close()
        theirs.close()


def test_the_server_reader_cannot_write_and_sees_every_write(tmp_path, postgres_url):
    archive = Archive(postgres_url)
    run_id = _fill(archive)
    record(tmp_path, postgres_url, run_id)
    reader = open_run(tmp_path)  # through database.json: the password from the URL is not there...
    assert isinstance(reader, ServerRunReader) and reader.run_dir == tmp_path
    reader.close()
    reader = open_run(tmp_path, postgres_url)  # ...so here it comes with --db-url
    try:
        with reader.engine.connect() as conn, pytest.raises(Exception, match="read-only transaction"):
            conn.execute(text("DELETE FROM agents"))
        # The signature is the server's WAL position, which other databases' writes (parallel tests) move
        # too: the cache must hold across any quiet spell, so look for one rather than assume it.
        computed: list[int] = []

        def count() -> int:
            computed.append(1)
            return len(reader.agents(run_id))

        for _ in range(200):
            before = reader.signature()
            computed.clear()
            first, again = reader.cached("agents", count), reader.cached("agents", count)
            if reader.signature() == before:
                break
        assert reader.signature() == before, "the server's WAL never stood still for two reads"
        assert first == again == 2 and len(computed) <= 1  # nothing written: the second answer came from the cache
        archive.add_agent(run_id=run_id, generation=1, status="running")
        assert reader.signature() != before
        assert reader.cached("agents", lambda: len(reader.agents(run_id))) == 3
    finally:
        reader.close()
        archive.close()


def test_without_the_driver_a_server_url_says_how_to_get_it(tmp_path):
    import subprocess
    import sys

    code = ("import sys; sys.modules['psycopg'] = None; from dgm.cli import main; "
            f"main(['status', '--run-dir', {str(tmp_path)!r}, '--db-url', 'postgresql://dgm@db-host/dgm'])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and proc.stderr.strip() == "error: a PostgreSQL archive needs psycopg: pip install 'dgm[postgres]'"
