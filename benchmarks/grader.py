"""Grading a patch: a fresh container, the untouched snapshot, the patch minus test edits, the hidden
tests, the task's test command with no network; resolved when every listed test passes."""

from __future__ import annotations

import re
import shlex
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from unidiff import PatchSet
from unidiff.errors import UnidiffParseError

from benchmarks.task import Task
from dgm.patches import copy_tree
from sandbox.container import DockerSandbox

# Files that decide how tests run: a patch must not get to rewrite them along with the code.
PROTECTED_NAMES = {"conftest.py", "pytest.ini"}
OUTCOME_LINE = re.compile(r"^(PASSED|FAILED|ERROR|XFAIL|XPASS|SKIPPED)\s+(\S+)", re.MULTILINE)
PATCH_FAILED_EXIT = 90


@dataclass
class GradeResult:
    resolved: bool
    tests: dict[str, str] = field(default_factory=dict)  # node id -> PASSED | FAILED | ERROR | ... | MISSING
    output: str = ""
    stripped_paths: list[str] = field(default_factory=list)
    error: str | None = None
    duration_s: float = 0.0


def protected_paths(task: Task) -> set[str]:
    return set(task.hidden_files)


def strip_protected(patch: str, protected: set[str]) -> tuple[str, list[str]]:
    """Remove the file diffs of a patch that touch hidden tests or test-runner configuration."""
    if not patch.strip():
        return "", []
    try:
        ps = PatchSet(patch)
    except UnidiffParseError:
        return patch, []  # let `git apply` report it; grading then fails honestly
    kept, stripped = [], []
    for pf in ps:
        paths = {p for p in (pf.source_file, pf.target_file) if p and p != "/dev/null"}
        names = {str(PurePosixPath(p.split("/", 1)[1] if p.startswith(("a/", "b/")) else p)) for p in paths}
        if names & protected or any(PurePosixPath(n).name in PROTECTED_NAMES for n in names):
            stripped.append(pf.path)
        else:
            kept.append(str(pf))
    return "".join(kept), stripped


def parse_outcomes(output: str) -> dict[str, str]:
    return {node: outcome for outcome, node in OUTCOME_LINE.findall(output)}


def is_resolved(task: Task, tests: dict[str, str]) -> bool:
    return all(tests.get(t) == "PASSED" for t in (*task.fail_to_pass, *task.pass_to_pass))


def grade_script(test_command: str) -> str:
    return "\n".join([
        "set -u",
        "cd /repo",
        "if [ -s /grade/patch.diff ]; then",
        f"  git apply --whitespace=nowarn /grade/patch.diff || {{ echo 'dgm: patch does not apply'; exit {PATCH_FAILED_EXIT}; }}",
        "fi",
        "cp -a /grade/hidden/. /repo/",
        "export PYTEST_ADDOPTS='-rA -p no:cacheprovider'",
        f"bash -c {shlex.quote(test_command)}",
    ])


def grade(sandbox: DockerSandbox, task: Task, patch: str, timeout_s: float | None = None) -> GradeResult:
    """Grade ``patch`` for ``task`` in a fresh container built from the patch alone."""
    clean, stripped = strip_protected(patch, protected_paths(task))
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dgm-grade-") as tmp:
        grade_dir = Path(tmp)
        (grade_dir / "patch.diff").write_text(clean)
        (grade_dir / "hidden").mkdir()
        copy_tree(task.hidden_dir, grade_dir / "hidden")
        result = sandbox.run(
            ["bash", "-c", grade_script(task.test_command)],
            inputs={"/repo": task.repo_dir, "/grade": grade_dir},
            timeout_s=timeout_s or sandbox.config.grade_timeout_s,
            labels={"dgm.role": "grade", "dgm.task": task.id},
        )
    tests = parse_outcomes(result.output)
    for node in (*task.fail_to_pass, *task.pass_to_pass):
        tests.setdefault(node, "MISSING")
    error = None
    if result.timed_out:
        error = "grading timed out"
    elif result.exit_code == PATCH_FAILED_EXIT:
        error = "patch does not apply"
    return GradeResult(
        resolved=error is None and is_resolved(task, tests),
        tests=tests,
        output=result.output,
        stripped_paths=stripped,
        error=error,
        duration_s=time.monotonic() - start,
    )
