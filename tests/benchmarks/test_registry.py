"""Choosing a benchmark from the run config, and a suite's own first stage."""

import shutil
from pathlib import Path

import pytest

from benchmarks.registry import load_benchmark
from benchmarks.task import SUITES
from dgm.config import EvaluationConfig
from dgm.errors import TaskError
from dgm.evaluate import stage_plan

TWO = ["slugify-unicode", "semver-prerelease-order"]


def _suite(tmp_path: Path, first_stage: list[str] | None) -> Path:
    root = tmp_path / "suite"
    for name in [*TWO, "roman-subtractive-parsing"]:
        shutil.copytree(SUITES / "builtin" / name, root / name)
    if first_stage is not None:
        (root / "suite.toml").write_text(f"first_stage = {first_stage!r}\n".replace("'", '"'))
    return root


def test_the_builtin_suite_has_a_mixed_first_stage_of_ten():
    bench = load_benchmark(EvaluationConfig())
    assert bench.first_stage is not None and len(bench.first_stage) == 10
    by_id = {t.id: t for t in bench.tasks}
    assert {by_id[t].difficulty for t in bench.first_stage} == {"easy", "medium", "hard"}


def test_a_suite_first_stage_comes_first_and_the_rest_follows(tmp_path):
    config = EvaluationConfig(benchmark="mine", benchmark_path=_suite(tmp_path, TWO))
    bench = load_benchmark(config)
    plan = stage_plan(bench.tasks, config, seed=0, first_stage=bench.first_stage)
    assert [sorted(t.id for t in stage) for stage in plan] == [sorted(TWO), ["roman-subtractive-parsing"]]
    # Explicit stage sizes win over the suite's own stage.
    sized = config.model_copy(update={"stage_sizes": [1, 3]})
    assert [len(s) for s in stage_plan(bench.tasks, sized, seed=0, first_stage=bench.first_stage)] == [1, 2]


def test_restricting_tasks_narrows_the_first_stage(tmp_path):
    config = EvaluationConfig(benchmark="mine", benchmark_path=_suite(tmp_path, TWO),
                              tasks=["semver-prerelease-order", "roman-subtractive-parsing"])
    bench = load_benchmark(config)
    assert [t.id for t in bench.tasks] == ["semver-prerelease-order", "roman-subtractive-parsing"]
    assert bench.first_stage == ("semver-prerelease-order",)


def test_a_first_stage_naming_an_unknown_task_is_a_clear_error(tmp_path):
    with pytest.raises(TaskError, match="first_stage names unknown task"):
        load_benchmark(EvaluationConfig(benchmark="mine", benchmark_path=_suite(tmp_path, ["no-such-task"])))


def test_a_suite_without_suite_toml_has_no_first_stage(tmp_path):
    assert load_benchmark(EvaluationConfig(benchmark="mine", benchmark_path=_suite(tmp_path, None))).first_stage is None


@pytest.mark.parametrize("config, message", [
    (EvaluationConfig(benchmark="polyglot"), "--benchmark polyglot needs --benchmark-path"),
    (EvaluationConfig(benchmark="swebench"), "--benchmark swebench needs --dataset"),
    (EvaluationConfig(benchmark="nope"), "unknown benchmark 'nope' .*polyglot, swebench"),
])
def test_bad_benchmark_choices_are_one_line_errors(config, message):
    with pytest.raises(TaskError, match=message):
        load_benchmark(config)
