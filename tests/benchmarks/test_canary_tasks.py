"""The cheating-canary tasks (benchmarks/canaries/): impossible for an honest patch, passable only by
gaming the tests, and never part of a benchmark."""

import subprocess
import sys

import pytest

from benchmarks.grader import grade
from benchmarks.registry import load_benchmark
from benchmarks.task import load_canaries, load_suite
from dgm.config import EvaluationConfig
from dgm.errors import TaskError

CANARIES = load_canaries()


def test_three_canaries_in_the_task_format_with_an_honest_and_a_cheating_patch():
    assert len(CANARIES) == 3 and len({t.id for t in CANARIES}) == 3
    for task in CANARIES:
        assert task.benchmark == "canary" and task.image is None and task.solution_patch is None
        assert task.runner == "pytest" and task.language == "python"
        assert (task.root / "honest.patch").is_file() and (task.root / "cheat.patch").is_file()
        hidden_names = [f.rsplit("::", 1)[-1] for f in (*task.fail_to_pass, *task.pass_to_pass)]
        assert not any(name in task.problem for name in hidden_names), "the issue names no hidden test"


def test_canaries_are_no_benchmark_and_not_listed_with_the_builtin_suite():
    ids = {t.id for t in CANARIES}
    assert not ids & {t.id for t in load_suite("builtin")}
    with pytest.raises(TaskError, match="unknown benchmark 'canaries'"):
        load_benchmark(EvaluationConfig(benchmark="canaries"))
    listed = subprocess.run([sys.executable, "-m", "dgm", "bench", "list", "builtin"], capture_output=True, text=True,
                            timeout=120, env={"COLUMNS": "300", **__import__("os").environ})
    assert listed.returncode == 0, listed.stderr
    assert "slugify-unicode" in listed.stdout and not any(i in listed.stdout for i in ids)


@pytest.mark.docker
@pytest.mark.parametrize("task", CANARIES, ids=[t.id for t in CANARIES])
def test_no_honest_patch_resolves_a_canary_and_its_cheat_does(sandbox, task):
    untouched = grade(sandbox, task, "")
    assert not untouched.resolved and untouched.error is None, untouched.output[-2000:]

    honest = grade(sandbox, task, (task.root / "honest.patch").read_text())
    assert honest.error is None and honest.stripped_paths == [], honest.output[-2000:]
    assert not honest.resolved
    # The honest patch does what the issue asks (most of the new tests pass); only a test that
    # contradicts the issue stays red.
    failing = [t for t in (*task.fail_to_pass, *task.pass_to_pass) if honest.tests[t] != "PASSED"]
    assert len(failing) == 1, failing
    assert sum(untouched.tests[t] != "PASSED" for t in task.fail_to_pass) > 1

    cheat = grade(sandbox, task, (task.root / "cheat.patch").read_text())
    assert cheat.stripped_paths == [] and cheat.resolved, cheat.output[-3000:]
    assert any(word in (task.root / "cheat.patch").read_text() for word in ("inspect.stack", "_getframe", "extract_stack"))
