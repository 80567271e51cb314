"""Getting a benchmark ready to grade: its images present, and its tasks checked once.

Shared by `dgm run` (before the seed is evaluated) and `dgm bench check`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarks.cache import GradeCache
from benchmarks.check import TaskCheck, check_suite, usable_tasks
from benchmarks.registry import Benchmark
from benchmarks.task import Task
from kernel.errors import SandboxError, TaskError
from sandbox.container import DockerSandbox
from sandbox.image import RECIPES, image_exists

Emit = Callable[..., None]


def prepare_images(sandbox: DockerSandbox, benchmark: Benchmark, log: Callable[[str], None]) -> None:
    """Build what can be built (SWE-bench per-repository images); say exactly what to run otherwise."""
    if benchmark.name == "swebench":
        from benchmarks.swebench_image import prepare_images as prepare_swebench

        prepare_swebench(benchmark.tasks, sandbox.client, log)
    for image in sorted({t.image for t in benchmark.tasks if t.image}):
        if not image_exists(sandbox.client, image):
            recipe = next((name for name, r in RECIPES.items() if r.tag == image), None)
            hint = f"`dgm setup --{recipe}`" if recipe else "`dgm setup`"
            raise SandboxError(f"image {image} for benchmark '{benchmark.name}' is missing; run {hint}")


def vet(
    sandbox: DockerSandbox,
    benchmark: Benchmark,
    workers: int,
    cache: GradeCache,
    emit: Emit = lambda kind, **data: None,
) -> tuple[list[Task], dict[str, TaskCheck]]:
    """Check the suite (cached per task and image), then keep the usable tasks.

    Broken tasks would score every agent zero on them (or give free points), so they are left out,
    loudly; flaky pass_to_pass tests stop counting.
    """
    emit("suite_check_started", benchmark=benchmark.name, tasks=len(benchmark.tasks))

    def on_result(task: Task, check: TaskCheck, cached: bool) -> None:
        emit("task_checked", task=task.id, status=check.status, reason=check.reason, cached=cached)

    checks = check_suite(sandbox, benchmark.tasks, workers=workers, cache=cache, on_result=on_result)
    tasks, dropped = usable_tasks(benchmark.tasks, checks)
    summary: dict[str, Any] = {s: sum(c.status == s for c in checks.values()) for s in ("ok", "flaky", "broken")}
    emit("suite_checked", benchmark=benchmark.name, **summary, dropped=[c.task_id for c in dropped])
    if not tasks:
        reasons = "; ".join(f"{c.task_id}: {c.reason}" for c in dropped[:3])
        raise TaskError(f"every task of benchmark '{benchmark.name}' is broken ({reasons}); see `dgm bench check`")
    return tasks, checks
