"""What the readers answer about a run's search: the policy's recommended agent, duplicates, and per
agent its own and its clade's evaluations (canary checks never count) and the policy's decisions.
The server reader's answers on the same rows are in test_postgres_archive.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from archive_db import Archive
from archive_db.reader import AGENT_SUMMARY, LATEST_DECISIONS, RunReader
from archive_db.store import downgrade, make_engine
from tests.archive_db.search_run import EXPECTED, HOSTILE_RULE, fill_search_run

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _written(run_dir: Path, policy: str | None = "hgm") -> dict:
    archive = Archive.in_dir(run_dir)
    try:
        return fill_search_run(archive, policy)
    finally:
        archive.close()


@pytest.fixture()
def searched(tmp_path: Path):
    ids = _written(tmp_path)
    reader = RunReader(tmp_path)
    yield reader, ids
    reader.close()


def test_the_run_names_its_policy_and_recommended_agent_and_the_tree_its_duplicates(searched):
    reader, ids = searched
    run = reader.run()
    assert (run["best_agent_id"], run["policy"]) == (ids["a"], "hgm")
    assert "duplicate_of" in AGENT_SUMMARY
    by_id = {a["id"]: a for a in reader.agents(ids["run_id"])}
    assert (by_id[ids["dup"]]["status"], by_id[ids["dup"]]["duplicate_of"]) == ("duplicate", ids["a"])
    assert [by_id[ids[k]]["duplicate_of"] for k in ("seed", "a", "b", "rejected")] == [None] * 4


def test_agent_search_counts_own_and_clade_evaluations_without_canaries_and_each_kind_of_decision(searched):
    reader, ids = searched
    for name, expected in EXPECTED.items():
        answer = reader.agent_search(ids["run_id"], ids[name])
        assert {k: v for k, v in answer.items() if k != "decisions"} == expected, name
        assert len(answer["decisions"]) == sum(expected["chosen"].values()), name


def test_the_latest_decisions_come_newest_first_with_their_detail(searched):
    reader, ids = searched
    decisions = reader.agent_search(ids["run_id"], ids["a"])["decisions"]
    assert [d["kind"] for d in decisions] == ["evaluate", "canary", "expand", "evaluate"]
    newest = decisions[0]
    assert newest["rule"] == "thompson sampling over nodes" and ISO.match(newest["created_at"])
    assert newest["detail"]["chosen"] == {"agent_id": ids["a"], "own_n": 2, "own_passes": 2, "clade_n": 3, "clade_passes": 2,
                                          "sample": 0.81}
    assert newest["detail"]["runner_up"]["agent_id"] == ids["b"]
    seed_rules = [d["rule"] for d in reader.agent_search(ids["run_id"], ids["seed"])["decisions"]]
    assert HOSTILE_RULE in seed_rules  # kept as written: the dashboard escapes it


def test_only_the_newest_twenty_decisions_are_listed_but_every_one_is_counted(tmp_path):
    ids = _written(tmp_path)
    archive = Archive.in_dir(tmp_path)
    for k in range(LATEST_DECISIONS + 5):
        archive.add_decision(ids["run_id"], ids["b"], "evaluate", f"rule {k}", {"n": k})
    archive.close()
    reader = RunReader(tmp_path)
    try:
        answer = reader.agent_search(ids["run_id"], ids["b"])
    finally:
        reader.close()
    assert answer["chosen"] == {"evaluate": 25} and LATEST_DECISIONS == 20
    assert [d["detail"]["n"] for d in answer["decisions"]] == list(range(24, 4, -1))


def test_a_run_without_a_policy_is_dgms_and_an_archive_before_0006_still_answers(tmp_path):
    ids = _written(tmp_path, policy=None)
    reader = RunReader(tmp_path)
    try:
        assert reader.run()["policy"] == "dgm"
    finally:
        reader.close()
    engine = make_engine(f"sqlite:///{tmp_path / 'archive.sqlite'}")
    downgrade(engine, "0005_reward_hacking_flags")  # an older dgm's archive: no decisions, no recommendation
    engine.dispose()
    reader = RunReader(tmp_path)
    try:
        assert reader.run()["best_agent_id"] is None
        assert all("duplicate_of" not in a for a in reader.agents(ids["run_id"]))
        old = reader.agent_search(ids["run_id"], ids["a"])
    finally:
        reader.close()
    assert old == {**EXPECTED["a"], "chosen": {}, "decisions": []}


def test_an_unreadable_config_or_detail_is_no_answer_rather_than_an_error(tmp_path):
    import sqlite3

    ids = _written(tmp_path)
    archive = Archive.in_dir(tmp_path)
    for rule in ("not json", "not an object"):
        archive.add_decision(ids["run_id"], ids["b"], "evaluate", rule, {})
    archive.close()
    with sqlite3.connect(tmp_path / "archive.sqlite") as db:
        db.execute("UPDATE runs SET config_json = '{not json'")
        db.execute("UPDATE decisions SET detail_json = 'nope' WHERE rule = 'not json'")
        db.execute("UPDATE decisions SET detail_json = '[1, 2]' WHERE rule = 'not an object'")
    reader = RunReader(tmp_path)
    try:
        assert reader.run()["policy"] == "dgm"
        assert [d["detail"] for d in reader.agent_search(ids["run_id"], ids["b"])["decisions"]] == [{}, {}]
    finally:
        reader.close()


def test_the_decision_counts_are_answered_from_the_index_alone(searched):
    reader, ids = searched
    sql = (f"SELECT kind, count(*) FROM decisions WHERE run_id = {ids['run_id']} AND agent_id = {ids['a']} "
           "GROUP BY kind")
    with reader.engine.connect() as conn:
        plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
    assert "COVERING INDEX ix_decisions_run_agent_kind" in plan
    assert json.loads(json.dumps(reader.agent_search(ids["run_id"], ids["a"])))  # plain JSON all through
