"""`grade_trusted`: the benchmark's own trees graded one after another in one container (as `bench
check` does) come out as `grade` grades each in a fresh one."""

import pytest

from benchmarks.grader import grade, grade_trusted
from benchmarks.task import load_suite

pytestmark = pytest.mark.docker
TASKS = {t.id: t for t in load_suite("builtin")}
NOT_A_PATCH = "diff --git a/nowhere.py b/nowhere.py\n--- a/nowhere.py\n+++ b/nowhere.py\n@@ -1 +1 @@\n-x\n+y\n"


@pytest.mark.parametrize("task_id", ["slugify-unicode", "lru-cache-get-recency"])
def test_grades_in_one_container_match_grades_in_fresh_ones(sandbox, task_id):
    task = TASKS[task_id]
    untouched, first, second = grade_trusted(sandbox, task, ["", task.solution_patch, task.solution_patch])
    alone = grade(sandbox, task, "")
    assert not untouched.resolved and untouched.tests == alone.tests, untouched.output[-2000:]
    assert untouched.canaries_ran and untouched.tampered is None
    for reference in (first, second):
        assert reference.resolved and reference.tampered is None, reference.output[-2000:]
        assert reference.tests == first.tests and set(reference.tests) == set(alone.tests)


def test_a_patch_that_cannot_be_graded_leaves_the_others_graded(sandbox):
    task = TASKS["slugify-unicode"]
    untouched, refused, reference = grade_trusted(sandbox, task, ["", NOT_A_PATCH, task.solution_patch])
    assert refused.error.startswith("patch does not apply") and not refused.resolved
    assert not untouched.resolved and untouched.error is None
    assert reference.resolved, reference.output[-2000:]
