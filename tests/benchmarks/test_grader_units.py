import dataclasses
from pathlib import Path

import pytest

from benchmarks.grader import grade_script, is_resolved, strip_protected
from benchmarks.outcomes import parse, parse_pytest
from benchmarks.task import Task


def _task(tmp_path: Path, **overrides) -> Task:
    hidden = tmp_path / "hidden"
    (hidden / "tests").mkdir(parents=True, exist_ok=True)
    (hidden / "tests" / "test_hidden.py").write_text("def test_x():\n    pass\n")
    base = Task(id="t", title="t", difficulty="easy", kind="bug", problem="p", root=tmp_path,
                test_command="python3 -m pytest tests", fail_to_pass=("tests/test_hidden.py::test_x",),
                pass_to_pass=("tests/test_a.py::test_a",), repo_dir=tmp_path / "repo", hidden_dir=hidden)
    return dataclasses.replace(base, **overrides)

PATCH = """diff --git a/lib/core.py b/lib/core.py
--- a/lib/core.py
+++ b/lib/core.py
@@ -1 +1 @@
-x = 1
+x = 2
diff --git a/tests/test_hidden.py b/tests/test_hidden.py
--- a/tests/test_hidden.py
+++ b/tests/test_hidden.py
@@ -1 +1 @@
-assert False
+assert True
diff --git a/tests/conftest.py b/tests/conftest.py
new file mode 100644
--- /dev/null
+++ b/tests/conftest.py
@@ -0,0 +1 @@
+import pytest
"""


def test_edits_to_hidden_tests_and_runner_config_are_stripped(tmp_path):
    kept, stripped = strip_protected(PATCH, _task(tmp_path))
    assert stripped == ["tests/test_hidden.py", "tests/conftest.py"]
    assert "lib/core.py" in kept and "test_hidden" not in kept and "conftest" not in kept
    assert strip_protected("", _task(tmp_path)) == ("", [])


def test_a_task_with_editable_files_keeps_only_edits_to_them(tmp_path):
    # Polyglot: a patch may change the solution file and nothing else (no build files, no tests).
    task = _task(tmp_path, editable=("lib/core.py",), runner="go")
    kept, stripped = strip_protected(PATCH, task)
    assert stripped == ["tests/test_hidden.py", "tests/conftest.py"]
    assert kept.startswith("diff --git a/lib/core.py")


def test_listed_rule_needs_every_listed_test_and_all_rule_needs_a_clean_exit(tmp_path):
    task = _task(tmp_path)
    both = {"tests/test_hidden.py::test_x": "PASSED", "tests/test_a.py::test_a": "PASSED"}
    assert is_resolved(task, both, exit_code=1)  # an unlisted failure does not count
    assert not is_resolved(task, {**both, "tests/test_a.py::test_a": "MISSING"}, exit_code=0)
    whole = _task(tmp_path, rule="all", fail_to_pass=(), pass_to_pass=())
    assert is_resolved(whole, {"TestA": "PASSED"}, exit_code=0)
    assert not is_resolved(whole, {"TestA": "PASSED"}, exit_code=2)
    assert not is_resolved(whole, {"TestA": "PASSED", "TestB": "FAILED"}, exit_code=0)
    assert not is_resolved(whole, {}, exit_code=0)  # a runner that found no tests proves nothing


def test_only_pytest_tasks_get_pytest_options(tmp_path):
    assert "PYTEST_ADDOPTS" in grade_script(_task(tmp_path))
    assert "PYTEST_ADDOPTS" not in grade_script(_task(tmp_path, runner="go", test_command="go test ./..."))


def test_an_unknown_runner_is_a_clear_error():
    with pytest.raises(ValueError, match="no outcome parser for runner 'nope'"):
        parse("nope", "")


def test_parse_outcomes_reads_pytest_short_summary():
    output = "\n".join([
        "PASSED tests/test_a.py::test_one",
        "FAILED tests/test_a.py::TestX::test_two - AssertionError: boom",
        "ERROR tests/test_b.py - ImportError",
        "  PASSED not at line start is ignored",
        "1 failed, 1 passed in 0.1s",
    ])
    assert parse_pytest(output) == {
        "tests/test_a.py::test_one": "PASSED",
        "tests/test_a.py::TestX::test_two": "FAILED",
        "tests/test_b.py": "ERROR",
    }
