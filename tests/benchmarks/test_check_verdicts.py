"""The suite check's verdicts, from grades alone (no Docker): what counts as broken, flaky or ok."""

import dataclasses
from pathlib import Path

from benchmarks.check import TaskCheck, judge, usable_tasks
from benchmarks.grader import GradeResult
from benchmarks.task import Task

F2P, P2P = "tests/test_new.py::test_fix", "tests/test_old.py::test_kept"


def _task(tmp_path: Path, **overrides) -> Task:
    base = Task(id="t", title="t", difficulty="easy", kind="bug", problem="p", root=tmp_path, test_command="pytest",
                fail_to_pass=(F2P,), pass_to_pass=(P2P,), repo_dir=tmp_path, hidden_dir=tmp_path, solution_patch="diff")
    return dataclasses.replace(base, **overrides)


def _grade(f2p: str, p2p: str, **extra) -> GradeResult:
    tests = {F2P: f2p, P2P: p2p, **extra}
    return GradeResult(resolved=f2p == p2p == "PASSED", tests=tests, exit_code=0 if f2p == p2p == "PASSED" else 1)


UNTOUCHED = _grade("FAILED", "PASSED")
REFERENCE = _grade("PASSED", "PASSED")


def test_a_sound_task_is_ok(tmp_path):
    check = judge(_task(tmp_path), UNTOUCHED, [REFERENCE, REFERENCE])
    assert (check.status, check.untouched, check.reference) == ("ok", "fails", ["passes", "passes"])


def test_a_reference_that_fails_breaks_the_task(tmp_path):
    check = judge(_task(tmp_path), UNTOUCHED, [UNTOUCHED, UNTOUCHED])
    assert check.status == "broken" and "reference solution does not pass" in check.reason and F2P in check.reason


def test_an_untouched_repository_that_passes_breaks_the_task(tmp_path):
    check = judge(_task(tmp_path), REFERENCE, [REFERENCE, REFERENCE])
    assert check.status == "broken" and check.reason == "the untouched repository already passes"


def test_a_polyglot_exercise_that_passes_untouched_is_a_kept_refactoring_exercise(tmp_path):
    # Aider's Polyglot counts Exercism's refactoring exercises (go-ledger): their tests pass before any change.
    exercise = _task(tmp_path, benchmark="polyglot", rule="all", fail_to_pass=(), pass_to_pass=())
    check = judge(exercise, REFERENCE, [REFERENCE, REFERENCE])
    assert check.status == "ok" and check.already_passing and "refactoring exercise" in check.reason
    [kept], dropped = usable_tasks([exercise], {"t": check})
    assert kept.already_passing and dropped == []
    assert not judge(exercise, UNTOUCHED, [REFERENCE, REFERENCE]).already_passing
    # A refactoring exercise whose reference fails is still broken.
    assert judge(exercise, REFERENCE, [UNTOUCHED, UNTOUCHED]).status == "broken"


def test_a_pass_to_pass_test_failing_untouched_breaks_the_task(tmp_path):
    check = judge(_task(tmp_path), _grade("FAILED", "FAILED"), [REFERENCE, REFERENCE])
    assert check.status == "broken" and P2P in check.reason


def test_no_reference_breaks_the_task(tmp_path):
    check = judge(_task(tmp_path, solution_patch=None), UNTOUCHED, [UNTOUCHED])
    assert check.status == "broken" and check.reason == "no reference solution"


def test_a_pass_to_pass_test_that_flips_between_runs_is_flaky_and_stops_counting(tmp_path):
    task = _task(tmp_path)
    check = judge(task, UNTOUCHED, [REFERENCE, _grade("PASSED", "FAILED")])
    assert check.status == "flaky" and check.flaky_tests == [P2P]
    kept, dropped = usable_tasks([task], {task.id: check})
    assert dropped == [] and kept[0].pass_to_pass == () and kept[0].fail_to_pass == (F2P,)


def test_a_flaky_fail_to_pass_test_breaks_the_task(tmp_path):
    task = _task(tmp_path)
    check = judge(task, UNTOUCHED, [REFERENCE, _grade("FAILED", "PASSED")])
    assert check.status == "broken" and check.flaky_tests == [F2P]
    assert usable_tasks([task], {task.id: check}) == ([], [check])


def test_a_whole_suite_task_that_passes_only_once_is_broken(tmp_path):
    task = _task(tmp_path, rule="all", fail_to_pass=(), pass_to_pass=())
    failed = GradeResult(resolved=False, tests={"TestA": "FAILED"}, exit_code=1)
    passed = GradeResult(resolved=True, tests={"TestA": "PASSED"}, exit_code=0)
    assert judge(task, failed, [passed, passed]).status == "ok"
    assert judge(task, failed, [passed, failed]).status == "broken"


def test_usable_tasks_keeps_order_and_reports_what_it_dropped(tmp_path):
    good, bad = _task(tmp_path, id="good"), _task(tmp_path, id="bad")
    checks = {"good": TaskCheck("good", "ok"), "bad": TaskCheck("bad", "broken", "x")}
    kept, dropped = usable_tasks([bad, good], checks)
    assert [t.id for t in kept] == ["good"] and [c.task_id for c in dropped] == ["bad"]
