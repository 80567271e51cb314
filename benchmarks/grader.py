"""Grading a patch: a fresh container, the untouched snapshot, the patch minus test edits, the hidden
tests, the task's test command with no network; resolved by the task's rule (every listed test
passes, or the whole test command passes)."""

from __future__ import annotations

import shlex
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from unidiff import PatchSet
from unidiff.errors import UnidiffParseError

from benchmarks.outcomes import parse
from benchmarks.task import Task
from dgm.patches import copy_tree
from sandbox.container import DockerSandbox

# Files that decide how tests run: a patch must not get to rewrite them along with the code.
PROTECTED_NAMES = {"conftest.py", "pytest.ini"}
PATCH_FAILED_EXIT = 90


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


def protected_paths(task: Task) -> set[str]:
    return set(task.hidden_files)


def _is_protected(task: Task, hidden: set[str], name: str) -> bool:
    if name in hidden:
        return True
    if task.runner == "pytest" and PurePosixPath(name).name in PROTECTED_NAMES:
        return True
    return task.editable is not None and name not in task.editable


def strip_protected(patch: str, task: Task) -> tuple[str, list[str]]:
    """Remove the file diffs of a patch that touch hidden tests, test-runner configuration, or (when
    the task lists its editable files) anything else."""
    if not patch.strip():
        return "", []
    try:
        ps = PatchSet(patch)
    except UnidiffParseError:
        return patch, []  # let `git apply` report it; grading then fails honestly
    kept, stripped = [], []
    hidden = protected_paths(task)
    for pf in ps:
        paths = {p for p in (pf.source_file, pf.target_file) if p and p != "/dev/null"}
        names = {str(PurePosixPath(p.split("/", 1)[1] if p.startswith(("a/", "b/")) else p)) for p in paths}
        if any(_is_protected(task, hidden, n) for n in names):
            stripped.append(pf.path)
        else:
            kept.append(str(pf))
    return "".join(kept), stripped


def is_resolved(task: Task, tests: dict[str, str], exit_code: int | None) -> bool:
    if task.rule == "all":
        # At least one test must have run: some runners exit 0 when they find no tests at all.
        failing = {"FAILED", "ERROR", "MISSING"}
        return exit_code == 0 and bool(tests) and not any(outcome in failing for outcome in tests.values())
    return all(tests.get(t) == "PASSED" for t in (*task.fail_to_pass, *task.pass_to_pass))


def grade_script(task: Task) -> str:
    lines = [
        "set -u",
        "cd /repo",
        "if [ -s /grade/patch.diff ]; then",
        f"  git apply --whitespace=nowarn /grade/patch.diff || {{ echo 'dgm: patch does not apply'; exit {PATCH_FAILED_EXIT}; }}",
        "fi",
        "cp -a /grade/hidden/. /repo/",
    ]
    if task.runner == "pytest":
        lines.append("export PYTEST_ADDOPTS='-rA -p no:cacheprovider'")
    lines.append(f"bash -c {shlex.quote(task.test_command)}")
    return "\n".join(lines)


def grade(sandbox: DockerSandbox, task: Task, patch: str, timeout_s: float | None = None) -> GradeResult:
    """Grade ``patch`` for ``task`` in a fresh container built from the patch alone."""
    clean, stripped = strip_protected(patch, task)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dgm-grade-") as tmp:
        grade_dir = Path(tmp)
        (grade_dir / "patch.diff").write_text(clean)
        (grade_dir / "hidden").mkdir()
        copy_tree(task.hidden_dir, grade_dir / "hidden")
        result = sandbox.run(
            ["bash", "-c", grade_script(task)],
            inputs={"/repo": task.repo_dir, "/grade": grade_dir},
            timeout_s=timeout_s or sandbox.config.grade_timeout_s,
            labels={"dgm.role": "grade", "dgm.task": task.id},
            image=task.image,
        )
    tests = parse(task.runner, result.output)
    for node in (*task.fail_to_pass, *task.pass_to_pass):
        tests.setdefault(node, "MISSING")
    error = None
    if result.timed_out:
        error = "grading timed out"
    elif result.exit_code == PATCH_FAILED_EXIT:
        error = "patch does not apply"
    return GradeResult(
        resolved=error is None and is_resolved(task, tests, result.exit_code),
        tests=tests,
        output=result.output,
        stripped_paths=stripped,
        error=error,
        duration_s=time.monotonic() - start,
        exit_code=result.exit_code,
    )
