"""Checking a benchmark before trusting it: every task's untouched repository and its reference
solution (twice) through the real grader. A task is broken when the reference fails or the untouched
repository already passes (except a Polyglot refactoring exercise, which is kept and marked
already_passing); tests whose outcome differs between the two reference runs are flaky.

`dgm bench check` prints this; a run checks each suite the first time it sees it (results are cached
by task content and image), drops broken tasks, and stops counting flaky tests.
"""

from __future__ import annotations

import dataclasses
import re
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

from benchmarks.cache import GRADER_VERSION, GradeCache
from benchmarks.grader import GradeResult, grade_trusted
from benchmarks.task import Task
from sandbox.container import DockerSandbox

Status = Literal["ok", "flaky", "broken"]
# Benchmarks whose tasks may pass untouched: Aider's Polyglot counts Exercism's refactoring exercises
# (ledger, tree-building, markdown...), whose tests pass before any change.
ALREADY_PASSING_KEPT = {"polyglot"}
CHECK_VERSION = "3"  # of judge(): a cached verdict from an older one is checked again
BUILD_MARKERS = (" (build)", " (suite)")  # benchmarks/outcomes.py: a package that did not build or load
ERROR_LINE = re.compile(r"\berror\b|cannot find|not found|does not exist", re.IGNORECASE)


@dataclass
class TaskCheck:
    task_id: str
    status: Status
    reason: str = ""
    untouched: str = ""  # "fails" | "passes" | an error
    reference: list[str] = field(default_factory=list)  # one word per reference run
    flaky_tests: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    already_passing: bool = False  # a refactoring exercise: kept, graded on not breaking it

    @property
    def usable(self) -> bool:
        return self.status != "broken"


def _word(result: GradeResult) -> str:
    return result.error or ("tampered" if result.tampered else "passes" if result.resolved else "fails")


def _failing(result: GradeResult) -> list[str]:
    return sorted(t for t, outcome in result.tests.items() if outcome != "PASSED")


def _first_error(output: str) -> str:
    """The first line of a build's output that reports an error (a compile or dependency failure
    names no test), with the next line when it ends in a colon (CMake's message follows it), cut
    short; "" when there is none."""
    lines = [" ".join(line.split()) for line in output.splitlines()]
    lines = [line for line in lines if line]
    for i, line in enumerate(lines):
        if ERROR_LINE.search(line):
            if line.endswith(":") and i + 1 < len(lines):
                line = f"{line} {lines[i + 1]}"
            return line[:200]
    return ""


def judge(task: Task, untouched: GradeResult, references: list[GradeResult]) -> TaskCheck:
    """The verdict from the grades alone (kept apart from grading so it can be tested directly)."""
    check = TaskCheck(task.id, "ok", untouched=_word(untouched), reference=[_word(r) for r in references])
    outcomes = [r.tests for r in references]
    check.flaky_tests = sorted(t for t in set().union(*outcomes) if len({o.get(t) for o in outcomes}) > 1)
    broken_p2p = [t for t in task.pass_to_pass if untouched.tests.get(t) != "PASSED"]
    if not task.solution_patch:
        check.status, check.reason = "broken", "no reference solution"
    elif task.rule == "all" and all(r.canaries_ran and not r.tests for r in (untouched, *references)):
        # Nothing to grade: an empty test file (go-counter, a deprecated "write the tests" exercise).
        check.status, check.reason = "broken", "its tests define no test case: nothing can be graded"
    elif not any(r.resolved for r in references):
        first = references[0]
        failing = _failing(first)
        # A build that failed shows as one "<name> (build)" entry: its first error line says more.
        named = ", ".join(failing[:3]) if not all(t.endswith(BUILD_MARKERS) for t in failing) else ""
        detail = first.error or first.tampered or named or _first_error(first.output) \
            or ", ".join(failing[:3]) or f"exit {first.exit_code}"
        check.status, check.reason = "broken", f"the reference solution does not pass ({detail})"
    elif untouched.resolved and task.benchmark in ALREADY_PASSING_KEPT:
        check.already_passing = True
        check.reason = "passes untouched: a refactoring exercise, kept (the agent must not break it)"
    elif untouched.resolved:
        check.status, check.reason = "broken", "the untouched repository already passes"
    elif task.rule == "listed" and broken_p2p and not set(broken_p2p) <= set(check.flaky_tests):
        check.status, check.reason = "broken", f"pass_to_pass test fails untouched: {broken_p2p[0]}"
    elif not all(r.resolved for r in references) or check.flaky_tests:
        check.status = "flaky"
        check.reason = f"{len(check.flaky_tests)} test(s) changed outcome between two reference runs" if check.flaky_tests \
            else "the reference passed once and failed once"
        if set(check.flaky_tests) & set(task.fail_to_pass) or (task.rule == "all" and not all(r.resolved for r in references)):
            check.status, check.reason = "broken", check.reason + " (a test that decides the task is flaky)"
    return check


def check_task(sandbox: DockerSandbox, task: Task, runs: int = 2) -> TaskCheck:
    if task.unavailable:
        return TaskCheck(task.id, "broken", reason=f"cannot run offline: {task.unavailable}", untouched="not run")
    start = time.monotonic()
    # The benchmark's own trees: all of a task's grades in one container (see grade_trusted).
    references = [task.solution_patch] * runs if task.solution_patch else []
    untouched, *graded = grade_trusted(sandbox, task, ["", *references])
    check = judge(task, untouched, graded or [untouched])
    check.duration_s = time.monotonic() - start
    return check


def check_key(sandbox: DockerSandbox, task: Task) -> str:
    return "|".join([GRADER_VERSION, CHECK_VERSION, task.content_hash(), sandbox.image_id(task.image)])


def check_suite(
    sandbox: DockerSandbox,
    tasks: list[Task],
    workers: int = 2,
    cache: GradeCache | None = None,
    use_cached: bool = True,
    on_result: Callable[[Task, TaskCheck, bool], None] = lambda task, check, cached: None,
) -> dict[str, TaskCheck]:
    """Check every task (in parallel); cached verdicts are reused when ``use_cached``."""
    results: dict[str, TaskCheck] = {}

    def one(task: Task) -> None:
        key = check_key(sandbox, task) if cache else ""
        hit = cache.get("checks", key) if cache and use_cached else None
        check = TaskCheck(**hit) if hit else check_task(sandbox, task)
        if cache and not hit and not check.untouched.startswith("grading timed out"):
            cache.put("checks", key, dataclasses.asdict(check))
            cache.put("durations", task.content_hash(), {"seconds": check.duration_s})
        results[task.id] = check
        on_result(task, check, hit is not None)

    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="dgm-check")
    try:
        for future in [pool.submit(one, t) for t in slowest_first(tasks, cache)]:
            future.result()
    except BaseException:
        # Ctrl-C or a failure: no queued task starts, and nothing waits here for the running ones; the
        # caller closes the sandbox, which removes their containers and so ends them.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return results


def slowest_first(tasks: list[Task], cache: GradeCache | None) -> list[Task]:
    """The tasks in the order to check them: the slowest last time first, so the check does not end
    waiting on one long task while the other workers stand idle. A task never timed takes the middle
    place (the median known time); with none known, the order is as given."""
    if cache is None:
        return tasks
    known = {t.id: hit["seconds"] for t in tasks if (hit := cache.get("durations", t.content_hash()))}
    if not known:
        return tasks
    middle = statistics.median(known.values())
    return sorted(tasks, key=lambda t: -known.get(t.id, middle))


def usable_tasks(tasks: list[Task], checks: dict[str, TaskCheck]) -> tuple[list[Task], list[TaskCheck]]:
    """The tasks a run should use: broken ones dropped, flaky pass_to_pass tests no longer required."""
    kept, dropped = [], []
    for task in tasks:
        check = checks[task.id]
        if not check.usable:
            dropped.append(check)
            continue
        if check.flaky_tests:
            task = dataclasses.replace(task, pass_to_pass=tuple(t for t in task.pass_to_pass if t not in check.flaky_tests))
        if check.already_passing:
            task = dataclasses.replace(task, already_passing=True)
        kept.append(task)
    return kept, dropped
