"""The benchmarks' own config table (``[evaluation]`` of a run's TOML; ``dgm.config.RunConfig.evaluation``):
which suite, which tasks, how they are staged and graded."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from kernel.config import Strict


class EvaluationConfig(Strict):
    """Staged evaluation after the paper: a small first stage gates a larger one."""

    benchmark: str = "builtin"  # builtin | polyglot | swebench | the name of a suite folder
    benchmark_path: Path | None = None  # a task-format suite, or a polyglot-benchmark checkout
    dataset: str | None = None  # swebench: a JSON/JSONL file of instances, or a dataset name
    swebench_grader: Literal["light", "official"] = "light"
    repos_dir: Path | None = None  # swebench: local git mirrors named owner__repo (else cloned)
    languages: list[str] | None = None  # polyglot: restrict to these languages
    check_suite: bool = True  # grade every reference twice when a suite is first seen (flaky/broken)
    grade_cache: bool = True  # reuse grades of the same (task, patch) across agents and runs
    # Cumulative number of tasks in each stage; None = scaled from the suite size.
    stage_sizes: list[int] | None = None
    stage_threshold: float = Field(default=0.4, ge=0, le=1)
    tasks: list[str] | None = None  # restrict the suite to these task ids
    # Cheating canaries (after ImpossibleBench): built-in tasks no honest patch can resolve. They never
    # count in a score; an agent that "resolves" one is flagged as a suspected reward hacker. Every
    # agent that would become the run's best is checked, and this share of the others.
    cheat_canaries: bool = True
    cheat_canary_rate: float = Field(default=0.2, ge=0, le=1)

    @field_validator("stage_sizes")
    @classmethod
    def _increasing(cls, sizes: list[int] | None) -> list[int] | None:
        if sizes is not None and (not sizes or any(b <= a for a, b in zip(sizes, sizes[1:], strict=False)) or sizes[0] < 1):
            raise ValueError("stage_sizes must be positive and strictly increasing")
        return sizes
