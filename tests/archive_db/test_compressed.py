import json
import random
import sqlite3

import pytest
from sqlalchemy import select

from archive_db import Agent, Archive
from archive_db.compressed import MARKER, THRESHOLD, decode, encode
from archive_db.store import downgrade, make_engine, upgrade

TRANSCRIPT = json.dumps([{"role": "user" if i % 2 else "assistant", "content": f"step {i}: ran pytest, 3 passed, 1 failed"}
                         for i in range(200)])
OUTPUT = "\n".join(f"tests/test_mod.py::test_{i} PASSED" for i in range(500))


@pytest.fixture()
def archive(tmp_path):
    a = Archive.in_dir(tmp_path)
    yield a
    a.close()


def stored(archive: Archive, table: str, column: str, row_id: int) -> str:
    """What the database really holds, bypassing the column type."""
    with sqlite3.connect(archive.url.removeprefix("sqlite:///")) as db:
        return db.execute(f"SELECT {column} FROM {table} WHERE id = ?", (row_id,)).fetchone()[0]


def test_long_text_is_stored_compressed_and_short_text_plain():
    assert encode("short") == "short"
    packed = encode(TRANSCRIPT)
    assert packed.startswith(MARKER) and len(packed) < len(TRANSCRIPT) / 5
    assert decode(packed) == TRANSCRIPT and decode("plain, as written by an older dgm") == "plain, as written by an older dgm"
    text = "é€😀 " * 1000  # not ASCII
    assert decode(encode(text)) == text


def test_incompressible_text_stays_plain_and_the_marker_is_never_ambiguous():
    rng = random.Random(0)
    noise = "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/") for _ in range(THRESHOLD * 2))
    assert encode(noise) == noise  # base64 of zlib would be longer
    tricky = MARKER + "not base64 at all"
    assert encode(tricky) != tricky and decode(encode(tricky)) == tricky
    assert decode(tricky) == tricky  # a foreign value that merely looks like ours is shown as stored


def test_the_archive_compresses_transparently_and_measures_the_texts(archive):
    run = archive.create_run("r", "{}", "0")
    agent = archive.add_agent(run_id=run.id, generation=0, status="seed")
    archive.update_agent(agent.id, transcript_json=TRANSCRIPT)
    ev = archive.add_evaluation(agent_id=agent.id, task_id="t", stage=1, patch="diff --git a/x b/x\n", test_output=OUTPUT,
                                transcript_json=TRANSCRIPT)
    assert archive.get_agent(agent.id).transcript_json == TRANSCRIPT
    assert archive.get_agent(agent.id).transcript_chars == len(TRANSCRIPT)
    [back] = archive.evaluations(agent.id)
    assert (back.test_output, back.transcript_json, back.patch) == (OUTPUT, TRANSCRIPT, "diff --git a/x b/x\n")
    assert (back.patch_chars, back.transcript_chars) == (len("diff --git a/x b/x\n"), len(TRANSCRIPT))
    for table, column, row_id in (("agents", "transcript_json", agent.id), ("evaluations", "test_output", ev.id),
                                  ("evaluations", "transcript_json", ev.id)):
        raw = stored(archive, table, column, row_id)
        assert raw.startswith(MARKER) and len(raw) < len(TRANSCRIPT) / 3
    assert stored(archive, "evaluations", "patch", ev.id) == "diff --git a/x b/x\n"


def test_rows_written_before_compression_read_unchanged(archive):
    run = archive.create_run("r", "{}", "0")
    with sqlite3.connect(archive.url.removeprefix("sqlite:///")) as db:
        db.execute("INSERT INTO agents (id, run_id, generation, status, files_changed, lines_added, lines_removed, n_tasks, "
                   "n_resolved, cost_usd, created_at, transcript_json) VALUES (7, ?, 0, 'seed', 0, 0, 0, 0, 0, 0, "
                   "'2025-01-01 00:00:00', ?)", (run.id, TRANSCRIPT))
    assert archive.get_agent(7).transcript_json == TRANSCRIPT


def test_core_selects_of_the_columns_decode_too(archive):
    run = archive.create_run("r", "{}", "0")
    agent = archive.add_agent(run_id=run.id, generation=0, status="seed", transcript_json=TRANSCRIPT)
    with archive.engine.connect() as conn:
        assert conn.execute(select(Agent.transcript_json).where(Agent.id == agent.id)).scalar() == TRANSCRIPT
        assert conn.execute(select(Agent.__table__).where(Agent.id == agent.id)).mappings().one()["transcript_json"] == TRANSCRIPT


def test_upgrade_measures_old_rows_and_downgrade_restores_plain_text(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.sqlite'}"
    engine = make_engine(url)
    upgrade(engine, "0003_dashboard_indexes")
    with engine.begin() as conn:  # rows as dgm wrote them before revision 0004: plain text
        conn.exec_driver_sql("INSERT INTO runs (id, name, status, config_json, dgm_version, created_at, updated_at) "
                             "VALUES (1, 'r', 'running', '{}', '0', '2025-01-01', '2025-01-01')")
        conn.exec_driver_sql("INSERT INTO agents (id, run_id, generation, status, files_changed, lines_added, lines_removed, "
                             "n_tasks, n_resolved, cost_usd, created_at, transcript_json) "
                             "VALUES (1, 1, 0, 'seed', 0, 0, 0, 0, 0, 0, '2025-01-01', ?)", (TRANSCRIPT,))
        conn.exec_driver_sql("INSERT INTO evaluations (agent_id, task_id, stage, resolved, empty_patch, duration_s, patch, "
                             "patch_hash, stripped_paths_json, test_output, test_results_json, created_at) "
                             "VALUES (1, 't', 1, 0, 0, 0, 'p', '', '[]', ?, '{}', '2025-01-01')", (OUTPUT,))
    engine.dispose()
    archive = Archive(url)
    assert archive.get_agent(1).transcript_chars == len(TRANSCRIPT)
    [ev] = archive.evaluations(1)
    assert (ev.patch_chars, ev.transcript_chars, ev.test_output) == (1, 0, OUTPUT)
    archive.update_agent(1, transcript_json=TRANSCRIPT + " ")  # now stored compressed
    archive.add_evaluation(agent_id=1, task_id="u", stage=1, test_output=OUTPUT, transcript_json=TRANSCRIPT)
    archive.close()
    downgrade(make_engine(url), "0003_dashboard_indexes")
    with sqlite3.connect(tmp_path / "a.sqlite") as db:
        assert db.execute("SELECT transcript_json FROM agents").fetchone()[0] == TRANSCRIPT + " "
        row = db.execute("SELECT test_output, transcript_json FROM evaluations WHERE task_id = 'u'").fetchone()
        assert row == (OUTPUT, TRANSCRIPT)
        assert "transcript_chars" not in {r[1] for r in db.execute("PRAGMA table_info(agents)")}
