"""Which benchmark a run uses: the built-in suite, a task-format folder, Polyglot or SWE-bench.

Every benchmark becomes the same list of `Task`s, so the loop, the grader and `dgm bench check` never
care where a task came from.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from benchmarks.config import EvaluationConfig
from benchmarks.task import Task, load_suite, select, suite_dir
from kernel.errors import TaskError

SPECIAL = ("polyglot", "swebench")


@dataclass(frozen=True)
class Benchmark:
    name: str
    tasks: list[Task]
    # The suite's own first evaluation stage (task ids), chosen to separate weak agents from strong.
    first_stage: tuple[str, ...] | None = None


def _suite_first_stage(folder: Path, tasks: list[Task]) -> tuple[str, ...] | None:
    meta_path = folder / "suite.toml"
    if not meta_path.is_file():
        return None
    try:
        meta = tomllib.loads(meta_path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise TaskError(f"{meta_path}: not valid TOML: {exc}") from None
    first = tuple(meta.get("first_stage", ()))
    unknown = sorted(set(first) - {t.id for t in tasks})
    if unknown:
        raise TaskError(f"{meta_path}: first_stage names unknown task(s): {', '.join(unknown)}")
    return first or None


def load_benchmark(config: EvaluationConfig) -> Benchmark:
    """Load the benchmark a run's evaluation config names; errors are one clear line (TaskError)."""
    name = config.benchmark
    if name == "polyglot":
        if config.benchmark_path is None:
            raise TaskError("--benchmark polyglot needs --benchmark-path DIR (a checkout of Aider's polyglot-benchmark)")
        from benchmarks.polyglot import load_polyglot

        tasks = load_polyglot(Path(config.benchmark_path), config.languages)
        return Benchmark(name, select(tasks, config.tasks, "polyglot"))
    if name == "swebench":
        if not config.dataset:
            raise TaskError("--benchmark swebench needs --dataset FILE_OR_NAME")
        from benchmarks.swebench import load_swebench

        tasks = load_swebench(config.dataset, repos_dir=config.repos_dir, only=config.tasks)
        return Benchmark(name, tasks)
    folder = suite_dir(name, config.benchmark_path)
    tasks = load_suite(name, config.benchmark_path)
    first = _suite_first_stage(folder, tasks)
    selected = select(tasks, config.tasks, folder.name)
    if config.tasks:
        first = tuple(t for t in (first or ()) if t in set(config.tasks)) or None
    return Benchmark(folder.name if config.benchmark_path else name, selected, first)
