"""A refactoring exercise (Exercism's ledger, tree-building...: its tests pass before any change), as
Aider's Polyglot counts it: the suite check keeps it, and a patch is graded on not breaking it, an
empty one included. Real grader, the polyglot image, a go exercise made to pass untouched."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchmarks.check import check_task, usable_tasks
from benchmarks.grader import grade
from benchmarks.polyglot import load_polyglot
from kernel.patches import diff_trees

pytestmark = pytest.mark.docker

FIXTURE = Path(__file__).parents[1] / "fixtures" / "polyglot"
EXERCISE = "go/exercises/practice/digit-sum"


# Working but clumsy code: the exercise asks for a cleaner version (the example), tests pass either way.
WORKING_STUB = """package digitsum

import "strconv"

// DigitSum adds up the decimal digits of n, the long way round: refactor it.
func DigitSum(n int) int {
\ttotal := 0
\tfor _, c := range strconv.Itoa(n) {
\t\tif c >= '0' && c <= '9' {
\t\t\ttotal = total + int(c-'0')
\t\t}
\t}
\treturn total
}
"""


def refactoring_checkout(root: Path) -> Path:
    """The fixture's go exercise with a working stub, as in a refactoring exercise."""
    exercise = root / EXERCISE
    shutil.copytree(FIXTURE / EXERCISE, exercise)
    (exercise / "digit_sum.go").write_text(WORKING_STUB)
    return root


def test_a_refactoring_exercise_is_kept_and_graded_on_not_breaking_it(sandbox, polyglot_image, tmp_path):
    (task,) = load_polyglot(refactoring_checkout(tmp_path / "polyglot"), ["go"])
    check = check_task(sandbox, task)
    assert (check.status, check.untouched, check.already_passing) == ("ok", "passes", True), check
    [kept], dropped = usable_tasks([task], {task.id: check})
    assert kept.already_passing and not dropped
    assert grade(sandbox, kept, "").resolved  # left alone, it still passes
    broken = tmp_path / "broken"
    shutil.copytree(kept.repo_dir, broken)
    source = broken / "digit_sum.go"
    source.write_text(source.read_text().replace("int(c-'0')", "int(c-'1')"))
    assert not grade(sandbox, kept, diff_trees(kept.repo_dir, broken)).resolved
