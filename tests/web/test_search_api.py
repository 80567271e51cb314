"""The search policy in the JSON API: the run's best is the agent its policy recommends (unless that
agent is flagged), the agent JSON carries what the policy had of it, and duplicates name their original.
Runs written through archive_db (tests/archive_db/search_run.py); no Docker needed."""

from __future__ import annotations

from pathlib import Path

from archive_db import Archive
from tests.archive_db.search_run import EXPECTED, HOSTILE_REASON, HOSTILE_RULE, fill_search_run
from tests.web.conftest import client
from web.api_models import AgentDetail, AgentNode, RunSummary


def _search_run(root: Path, name: str = "search") -> dict:
    archive = Archive.in_dir(root / name)
    try:
        return fill_search_run(archive)
    finally:
        archive.close()


def _change(root: Path, name: str, change) -> None:
    archive = Archive.in_dir(root / name)
    try:
        change(archive)
    finally:
        archive.close()


def test_the_run_summary_follows_the_recorded_recommendation_and_shows_the_policy(run_root):
    ids = _search_run(run_root)
    api = client(run_root)
    summary = api.get("/api/runs/search").json()
    assert (summary["best_id"], summary["best_score"], summary["best_recommended"], summary["policy"]) == (ids["a"], 1.0, True, "hgm")
    assert summary["best_path"] == [ids["seed"], ids["a"]]
    assert summary["counts"]["duplicate"] == 1
    assert (summary["config"]["loop.policy"], summary["config"]["loop.hgm_alpha"]) == ("hgm", 0.6)
    RunSummary.model_validate(summary)
    assert set(summary) <= set(RunSummary.model_fields)  # the documented shape is the real one
    # The policy recommends the seed over a higher score (with hgm one lucky task is not evidence).
    _change(run_root, "search", lambda archive: archive.set_best(ids["run_id"], ids["seed"]))
    summary = api.get("/api/runs/search").json()
    assert (summary["best_id"], summary["best_score"], summary["best_path"]) == (ids["seed"], 0.5, [ids["seed"]])
    [listed] = api.get("/api/runs").json()
    assert (listed["best_id"], listed["best_score"]) == (ids["seed"], 0.5)
    assert api.get(f"/api/runs/search/agents/{ids['b']}").json()["best_id"] == ids["seed"]


def test_a_flagged_recommendation_is_ignored_for_the_best_unflagged_score(run_root):
    ids = _search_run(run_root)
    _change(run_root, "search", lambda archive: archive.flag_agent(ids["a"], "resolved the impossible task x"))
    api = client(run_root)
    summary = api.get("/api/runs/search").json()
    # a is recorded and scores 1.0, but flagged: the seed (0.5) is the best archived, unflagged agent.
    assert (summary["best_id"], summary["best_score"], summary["best_recommended"]) == (ids["seed"], 0.5, False)
    assert api.get(f"/api/runs/search/agents/{ids['a']}").json()["best_id"] == ids["seed"]


def test_a_run_that_recorded_no_recommendation_keeps_the_top_score(run_root):
    ids = _search_run(run_root)
    _change(run_root, "search", lambda archive: archive.set_best(ids["run_id"], None))
    summary = client(run_root).get("/api/runs/search").json()
    assert (summary["best_id"], summary["best_recommended"]) == (ids["a"], False)


def test_the_agent_json_carries_the_search_section_and_the_duplicate(run_root):
    ids = _search_run(run_root)
    api = client(run_root)
    for name, expected in EXPECTED.items():
        detail = api.get(f"/api/runs/search/agents/{ids[name]}").json()
        search = detail["search"]
        assert {k: v for k, v in search.items() if k != "decisions"} == {"policy": "hgm", **expected}, name
        AgentDetail.model_validate(detail)
        assert set(detail) <= set(AgentDetail.model_fields), set(detail) - set(AgentDetail.model_fields)
    a = api.get(f"/api/runs/search/agents/{ids['a']}").json()
    assert [d["kind"] for d in a["search"]["decisions"]] == ["evaluate", "canary", "expand", "evaluate"]
    assert a["search"]["decisions"][0]["detail"]["chosen"]["sample"] == 0.81
    assert (a["id"] == a["best_id"], a["duplicate_of"]) == (True, None)
    seed = api.get(f"/api/runs/search/agents/{ids['seed']}").json()
    assert HOSTILE_RULE in [d["rule"] for d in seed["search"]["decisions"]]  # data, as written; the page escapes it
    dup = api.get(f"/api/runs/search/agents/{ids['dup']}").json()
    assert (dup["status"], dup["duplicate_of"]) == ("duplicate", ids["a"])
    assert dup["reason"] == HOSTILE_REASON.replace("A", str(ids["a"]))
    nodes = api.get("/api/runs/search/agents").json()
    assert [n["duplicate_of"] for n in nodes if n["id"] == ids["dup"]] == [ids["a"]]
    assert all(set(n) <= set(AgentNode.model_fields) for n in nodes)
