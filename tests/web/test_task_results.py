import json

from web import task_results


def row(task, resolved, tests=None, stage=1):
    return {"id": hash(task) % 1000, "task_id": task, "stage": stage, "resolved": resolved,
            "test_results_json": json.dumps(tests or {})}


def test_flips_against_the_parent_and_changed_tests():
    mine = [row("a", True, {"t1": "PASSED", "t2": "PASSED"}), row("b", False), row("c", True, stage=2)]
    parent = [row("a", False, {"t1": "FAILED", "t2": "PASSED"}), row("b", True)]
    out = {r["task_id"]: r for r in task_results.compare(mine, parent)}
    assert (out["a"]["flip"], out["a"]["tests_flipped"], out["a"]["tests_passed"]) == ("newly_solved", ["t1"], 2)
    assert out["b"]["flip"] == "newly_broken"
    assert (out["c"]["flip"], out["c"]["parent_resolved"]) == (None, None)  # the parent never ran it
    assert [r["task_id"] for r in task_results.compare(mine, parent)][:2] == ["a", "b"]  # flips first
    assert task_results.totals(list(out.values())) == {"tasks": 3, "solved": 2, "newly_solved": 1, "newly_broken": 1,
                                                       "canary_checks": 0, "canary_resolved": 0, "tampered": 0}


def test_malformed_test_results_count_as_none():
    bad = {"id": 1, "task_id": "a", "stage": 1, "resolved": False, "test_results_json": "not json"}
    listed = {"id": 2, "task_id": "b", "stage": 1, "resolved": False, "test_results_json": "[1, 2]"}
    assert [r["tests_total"] for r in task_results.compare([bad, listed], [])] == [0, 0]


def test_canary_checks_and_tampered_grades_come_first_and_never_count_as_tasks():
    canary = {**row("impossible", True, stage=0), "canary": True}
    tampered = {**row("b", False), "tampered": "the must-fail canary test passed"}
    mine = [row("a", True), tampered, canary]
    parent = [row("a", False), row("b", True), {**row("impossible", False, stage=0), "canary": True}]
    out = task_results.compare(mine, parent)
    assert [r["task_id"] for r in out] == ["impossible", "b", "a"]  # what a reviewer must see first
    assert out[0]["canary"] is True and out[0]["flip"] == "newly_solved"
    assert task_results.totals(out) == {"tasks": 2, "solved": 1, "newly_solved": 1, "newly_broken": 1,
                                        "canary_checks": 1, "canary_resolved": 1, "tampered": 1}
