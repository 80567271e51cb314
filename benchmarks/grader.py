"""Grading a patch, as the grader alone decides.

1. The patch's file diffs that touch what decides how tests run (hidden and visible tests, runner
   configuration, plugins, build files, symbolic links: benchmarks/protect.py) are stripped.
2. The graded tree is built on the host (benchmarks/staging.py): untouched snapshot, patch, hidden
   tests, the runner's preparation, two canary tests named at random (benchmarks/canary_tests.py).
3. A fresh container with no network gets it read-only (root-owned) and runs the grader's command
   for the task's runner (benchmarks/runners.py) as an unprivileged user.
4. Outcomes are parsed; the canaries decide whether they can be trusted (*tampered* if not); the
   task's rule decides "resolved": every listed test passes, or every test the runner reported passes.

`grade_trusted` grades the benchmark's own trees (untouched, reference) the same way, several in one
container (sandbox/steps.py): the suite check's three grades per task cost one container start.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import canary_tests
from benchmarks.protect import strip_protected
from benchmarks.runners import command, outcomes, runner_for
from benchmarks.staging import PatchRejected, Staged, stage, tar_staged
from benchmarks.task import Task
from sandbox.container import DockerSandbox, RunResult
from sandbox.steps import Step
from sandbox.tario import scratch_dir

__all__ = ["GradeResult", "grade", "grade_trusted", "is_resolved", "strip_protected"]
FAILING = {"FAILED", "ERROR", "MISSING"}


@dataclass
class GradeResult:
    resolved: bool
    tests: dict[str, str] = field(default_factory=dict)  # node id -> PASSED | FAILED | ERROR | ... | MISSING
    output: str = ""
    stripped_paths: list[str] = field(default_factory=list)
    error: str | None = None
    duration_s: float = 0.0
    exit_code: int | None = None
    cached: bool = False  # True when this result came from the grade cache, not a new container
    # Why this grade cannot be trusted (a canary test came out wrong: something rewrote how the tests
    # ran or what they reported). A tampered grade is never resolved, and its agent is flagged.
    tampered: str | None = None
    # The grader's must-pass canary was reported: the runner ran the tests (a build that fails reports
    # nothing at all).
    canaries_ran: bool = False

    @property
    def verdict(self) -> str:
        return "tampered" if self.tampered else "resolved" if self.resolved else "not resolved"


def is_resolved(task: Task, tests: dict[str, str]) -> bool:
    if task.rule == "all":
        # At least one test must have run: some runners report nothing when they find no tests. The
        # exit code says nothing here: the must-fail canary always fails; a crash shows as a test
        # that started and never reported (ERROR) or, for pytest, a collected test left MISSING.
        return bool(tests) and not any(outcome in FAILING for outcome in tests.values())
    return all(tests.get(t) == "PASSED" for t in (*task.fail_to_pass, *task.pass_to_pass))


def grade(sandbox: DockerSandbox, task: Task, patch: str, timeout_s: float | None = None) -> GradeResult:
    """Grade ``patch`` for ``task`` in a fresh container built from the patch alone."""
    start = time.monotonic()
    with scratch_dir("dgm-grade-") as tmp:  # removed whatever the patch made (tempfile's clean-up recurses)
        prepared = _prepare(task, patch, tmp, sandbox.config.max_patch_bytes)
        if isinstance(prepared, GradeResult):
            return prepared
        result = sandbox.run(
            ["bash", "-c", prepared.script],
            archives=[prepared.archive],
            timeout_s=timeout_s or sandbox.config.grade_timeout_s,
            labels={"dgm.role": "grade", "dgm.task": task.id},
            image=task.image,
        )
    return _finish(task, prepared, result, time.monotonic() - start)


def grade_trusted(sandbox: DockerSandbox, task: Task, patches: list[str], timeout_s: float | None = None,
                  ) -> list[GradeResult]:
    """Grade the benchmark's own ``patches`` (its untouched tree: "", its reference solution) as
    ``grade`` does each, in one container, one after another (sandbox/steps.py): `bench check` grades
    three times per task, and a container costs as much CPU as a short grade. Each grade still gets
    its own tree at /repo, its own canaries and secret, its own time limit and a clean container
    state. Never for a patch an agent wrote."""
    limit = timeout_s or sandbox.config.grade_timeout_s
    with scratch_dir("dgm-grade-") as tmp:
        prepared = [_prepare(task, patch, tmp / str(i), sandbox.config.max_patch_bytes) for i, patch in enumerate(patches)]
        runnable = [p for p in prepared if isinstance(p, _Prepared)]
        results = iter(sandbox.run_steps(
            [Step(["bash", "-c", p.script], p.archive, limit) for p in runnable],
            image=task.image, labels={"dgm.role": "grade", "dgm.task": task.id}))
    graded = []
    for p in prepared:
        if isinstance(p, _Prepared):
            result = next(results)
            p = _finish(task, p, result, result.duration_s)
        graded.append(p)
    return graded


@dataclass
class _Prepared:
    staged: Staged
    stripped: list[str]
    script: str  # what the container runs in /repo
    archive: bytes  # /repo and /grade


def _prepare(task: Task, patch: str, tmp: Path, max_patch_bytes: int) -> _Prepared | GradeResult:
    """The graded tree for ``patch`` staged under ``tmp``, or the result of a patch that cannot be graded."""
    start = time.monotonic()
    if len(patch.encode("utf-8", "surrogateescape")) > max_patch_bytes:
        return GradeResult(resolved=False, error=f"patch is larger than {max_patch_bytes:,} bytes (sandbox.max_patch_bytes)")
    clean, stripped = strip_protected(patch, task)
    runner = runner_for(task)
    try:
        staged = stage(task, clean, tmp, runner.prepare)
    except PatchRejected as exc:
        return GradeResult(resolved=False, stripped_paths=stripped, error=str(exc),
                           tests={n: "MISSING" for n in (*task.fail_to_pass, *task.pass_to_pass)},
                           duration_s=time.monotonic() - start)
    script = command(task, staged.repo, staged.canaries.module if staged.canaries else None)
    return _Prepared(staged, stripped, f"cd /repo && {script}", tar_staged(staged, runner.runner_files))


def _finish(task: Task, prepared: _Prepared, result: RunResult, duration_s: float) -> GradeResult:
    """The grade of a container's run: outcomes parsed, canaries judged, the task's rule applied."""
    staged = prepared.staged
    tests, output = outcomes(task, result.output, staged.nonce)
    error = "grading timed out" if result.timed_out else result.error
    canaries_ran = staged.canaries is not None and staged.canaries.must_pass in tests
    tampered = canary_tests.judge(staged.canaries, tests, error is None and is_resolved(task, tests))
    for node in (*task.fail_to_pass, *task.pass_to_pass):
        tests.setdefault(node, "MISSING")
    return GradeResult(
        resolved=error is None and tampered is None and is_resolved(task, tests),
        tests=tests,
        output=canary_tests.mask(output, staged.canaries),
        stripped_paths=prepared.stripped,
        error=error,
        duration_s=duration_s,
        exit_code=result.exit_code,
        tampered=tampered,
        canaries_ran=canaries_ran,
    )
