"""`dgm bench grade TASK --patch FILE`: one patch, one task, fresh containers, the verdict and every
test's outcome; exit 0 only when resolved. Real engine, real grader, the real command line."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from benchmarks.task import load_suite
from kernel.patches import diff_trees
from kernel.trees import copy_tree

pytestmark = pytest.mark.docker
TASK = "cartprice-tax-after-discounts"


def dgm(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dgm", "bench", "grade", *args], capture_output=True, text=True,
                          timeout=300, input=stdin, env={**os.environ, "COLUMNS": "200"})


@pytest.fixture(scope="module")
def reference() -> str:
    return load_suite("builtin", only=[TASK])[0].solution_patch or ""


def test_the_reference_patch_is_resolved_with_every_test_listed(docker_client, reference, tmp_path: Path) -> None:
    (tmp_path / "fix.patch").write_text(reference)
    proc = dgm(TASK, "--patch", str(tmp_path / "fix.patch"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().splitlines()[-1].startswith("resolved")
    assert "tests/test_tax_after_discounts.py::test_coupon_is_shared_between_lines_in_proportion" in proc.stdout
    assert "dgm_canary" not in proc.stdout  # the grader's own tests are not the task's


def test_an_empty_patch_from_standard_input_is_not_resolved(docker_client) -> None:
    proc = dgm(TASK, "--patch", "-", stdin="")
    assert proc.returncode == 1
    assert proc.stdout.strip().splitlines()[-1].startswith("not resolved")
    assert "FAILED" in proc.stdout


def test_a_patch_that_rewrites_the_report_is_tampered(docker_client, tmp_path: Path) -> None:
    task = load_suite("builtin", only=[TASK])[0]
    after = tmp_path / "after"
    copy_tree(task.repo_dir, after)
    init = after / "cartprice" / "__init__.py"
    init.write_text(init.read_text() + textwrap.dedent('''
        import _pytest.reports as _r
        _o = _r.TestReport.from_item_and_call.__func__
        def _f(cls, item, call):
            rep = _o(cls, item, call)
            rep.outcome, rep.longrepr = "passed", None
            return rep
        _r.TestReport.from_item_and_call = classmethod(_f)
    '''))
    (tmp_path / "forged.patch").write_text(diff_trees(task.repo_dir, after))
    proc = dgm(TASK, "--patch", str(tmp_path / "forged.patch"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("tampered: the grader's must-fail canary test came out PASSED"), last


@pytest.mark.parametrize(("args", "message"), [
    (("no-such-task", "--patch", "/dev/null"), "unknown task id(s) in builtin: no-such-task"),
    ((TASK, "--patch", "/no/such.patch"), "patch file not found: /no/such.patch"),
    ((TASK, "--patch", "/tmp"), "/tmp is a folder, not a patch file"),
    ((f"{TASK},other", "--patch", "/dev/null"), "one task at a time"),
])
def test_bad_input_is_one_line(args, message) -> None:
    proc = dgm(*args)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and message in lines[0], proc.stderr
