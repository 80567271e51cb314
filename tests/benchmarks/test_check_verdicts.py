"""The suite check's verdicts, from grades alone (no Docker): what counts as broken, flaky or ok."""

import dataclasses
from pathlib import Path

from benchmarks.cache import GradeCache
from benchmarks.check import TaskCheck, check_task, judge, slowest_first, usable_tasks
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


def test_a_reference_that_does_not_build_is_reported_with_the_build_error(tmp_path):
    output = ("    Updating crates-io index\nerror: failed to select a version for the requirement `rand = \"^0.3.12\"`\n"
              "candidate versions found which didn't match: 0.8.5\n")
    build_failure = GradeResult(resolved=False, tests={"robot-name (build)": "ERROR"}, output=output, exit_code=101)
    check = judge(_task(tmp_path, rule="all", fail_to_pass=(), pass_to_pass=()), UNTOUCHED, [build_failure] * 2)
    assert check.status == "broken"
    assert check.reason == ("the reference solution does not pass (error: failed to select a version for the "
                            "requirement `rand = \"^0.3.12\"`)")


def test_a_task_that_needs_what_cannot_be_had_offline_is_broken_without_grading(tmp_path):
    task = _task(tmp_path, unavailable="needs a.b:c:1 from Maven Central")
    check = check_task(None, task)  # no sandbox: nothing may be graded
    assert (check.status, check.untouched, check.reference) == ("broken", "not run", [])
    assert check.reason == "cannot run offline: needs a.b:c:1 from Maven Central"


def test_tests_that_define_no_test_case_are_named_as_such_but_a_build_failure_is_not(tmp_path):
    task = _task(tmp_path, rule="all", fail_to_pass=(), pass_to_pass=())
    ran_nothing = GradeResult(resolved=False, tests={}, exit_code=1, canaries_ran=True)  # go-counter
    check = judge(task, ran_nothing, [ran_nothing] * 2)
    assert (check.status, check.reason) == ("broken", "its tests define no test case: nothing can be graded")
    built_nothing = GradeResult(resolved=False, tests={}, exit_code=2, output="CMake Error at CMakeLists.txt:13\n")
    check = judge(task, built_nothing, [built_nothing] * 2)
    assert check.reason == "the reference solution does not pass (CMake Error at CMakeLists.txt:13)"


def test_a_check_starts_with_the_tasks_slowest_last_time(tmp_path):
    tasks = []
    for name in ("quick", "slow", "new", "middling"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "f.txt").write_text(name)
        tasks.append(_task(tmp_path / name, id=name))
    cache = GradeCache(tmp_path / "cache.sqlite")
    assert slowest_first(tasks, cache) == tasks  # nothing timed yet: as given
    for task, seconds in zip(tasks, (2.0, 90.0, None, 10.0), strict=True):
        if seconds is not None:
            cache.put("durations", task.content_hash(), {"seconds": seconds})
    # The task never timed takes the median's place (10 s); a tie keeps the given order.
    assert [t.id for t in slowest_first(tasks, cache)] == ["slow", "new", "middling", "quick"]
