"""Every built-in task through the real grader: the untouched repository fails, the reference
solution passes, and a patch that rewrites the hidden tests does not count."""

from collections import Counter

import pytest

from benchmarks.grader import grade
from benchmarks.task import load_suite

pytestmark = pytest.mark.docker
TASKS = load_suite("builtin")


def test_suite_is_big_enough_and_varied():
    assert len(TASKS) >= 40
    assert {t.difficulty for t in TASKS} == {"easy", "medium", "hard"}
    kinds = Counter(t.kind for t in TASKS)
    assert set(kinds) == {"bug", "feature", "refactor", "multi-file"} and min(kinds.values()) >= 4, kinds
    assert len({t.id for t in TASKS}) == len(TASKS)


@pytest.mark.parametrize("task", TASKS, ids=[t.id for t in TASKS])
def test_untouched_fails_reference_passes(sandbox, task):
    untouched = grade(sandbox, task, "")
    assert not untouched.resolved
    assert any(untouched.tests[t] != "PASSED" for t in task.fail_to_pass), untouched.output[-2000:]
    assert all(untouched.tests[t] == "PASSED" for t in task.pass_to_pass), untouched.output[-2000:]

    reference = grade(sandbox, task, task.solution_patch or "")
    assert reference.resolved, reference.output[-3000:]
    assert reference.stripped_paths == []


def test_a_patch_that_rewrites_hidden_tests_is_not_counted(sandbox):
    task = TASKS[0]
    hidden = task.hidden_files[0]
    lines = (task.hidden_dir / hidden).read_text().splitlines()
    # Replace every hidden test with a trivially passing file of the same name.
    cheat = (f"diff --git a/{hidden} b/{hidden}\nnew file mode 100644\n--- /dev/null\n+++ b/{hidden}\n"
             f"@@ -0,0 +1,2 @@\n+def test_nothing():\n+    pass\n")
    result = grade(sandbox, task, cheat)
    assert result.stripped_paths == [hidden]
    assert not result.resolved
    assert lines  # the real hidden file was graded, not the cheat
