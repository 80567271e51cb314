import dataclasses
from pathlib import Path

import pytest

from benchmarks.canary_tests import Canaries, judge, mask
from benchmarks.grader import is_resolved, strip_protected
from benchmarks.outcomes import parse, parse_pytest
from benchmarks.protect import is_runner_file
from benchmarks.runners import command, inifile, outcomes
from benchmarks.task import Task
from dgm.errors import TaskError


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


def test_listed_rule_needs_every_listed_test_and_all_rule_needs_every_reported_test(tmp_path):
    task = _task(tmp_path)
    both = {"tests/test_hidden.py::test_x": "PASSED", "tests/test_a.py::test_a": "PASSED"}
    assert is_resolved(task, {**both, "tests/test_other.py::test_o": "FAILED"})  # an unlisted failure does not count
    assert not is_resolved(task, {**both, "tests/test_a.py::test_a": "MISSING"})
    whole = _task(tmp_path, rule="all", fail_to_pass=(), pass_to_pass=())
    assert is_resolved(whole, {"TestA": "PASSED", "TestS": "SKIPPED"})
    assert not is_resolved(whole, {"TestA": "PASSED", "TestB": "FAILED"})
    assert not is_resolved(whole, {"TestA": "PASSED", "pkg (build)": "ERROR"})
    assert not is_resolved(whole, {"TestA": "PASSED", "tests/test_x.py::test_y": "MISSING"})  # collected, never reported
    assert not is_resolved(whole, {})  # a runner that found no tests proves nothing


@pytest.mark.parametrize(("runner", "path"), [
    ("pytest", "conftest.py"), ("pytest", "a/b/conftest.py"), ("pytest", "tests/tox.ini"), ("pytest", "setup.cfg"),
    ("pytest", "lib/pyproject.toml"), ("pytest", "sitecustomize.py"), ("pytest", "x.pth"), ("pytest", "pytest.py"),
    ("pytest", "tests/helpers.py"), ("pytest", "pkg/tests/data.json"), ("pytest", "test_x.py"), ("pytest", "pkg/x_test.py"),
    ("pytest", "forge-1.0.dist-info/entry_points.txt"), ("pytest", "pkg/__pycache__/m.cpython-311.pyc"),
    ("pytest", ".git/hooks/pre-commit"), ("go", "x_test.go"), ("go", "go.mod"), ("go", "go.work"), ("go", "vendor/m/x.go"),
    ("cargo", "build.rs"), ("cargo", ".cargo/config.toml"), ("cargo", "Cargo.toml"), ("cargo", "tests/it.rs"),
    ("jest", "jest.config.js"), ("jest", "babel.config.cjs"), ("jest", "package.json"), ("jest", "x.spec.js"),
    ("jest", "__mocks__/fs.js"), ("jest", "node_modules/jest/index.js"), ("junit", "src/test/java/ATest.java"),
    ("junit", "src/main/resources/META-INF/services/x"), ("junit", "junit-platform.properties"),
    ("catch2", "CMakeLists.txt"), ("catch2", "cmake/x.cmake"), ("catch2", "x_test.cpp"), ("catch2", "test/catch.hpp"),
    ("jest", "src/__snapshots__/x.test.js.snap"), ("pytest", "pkg/__snapshots__/test_x.ambr"), ("go", "out.golden"),
])
def test_files_a_runner_reads_before_the_code_under_test_are_protected(runner, path):
    assert is_runner_file(runner, path)


@pytest.mark.parametrize(("runner", "path"), [
    ("pytest", "lib/core.py"), ("pytest", "django/test/testcases.py"), ("pytest", "pkg/testing.py"),
    ("go", "digit_sum.go"), ("cargo", "src/lib.rs"), ("jest", "title-words.js"), ("junit", "src/main/java/A.java"),
    ("catch2", "bit_count.cpp"),
])
def test_the_code_under_test_is_not_protected(runner, path):
    assert not is_runner_file(runner, path)


SYMLINK_PATCH = """diff --git a/tests b/tests
new file mode 120000
--- /dev/null
+++ b/tests
@@ -0,0 +1 @@
+fake_tests
\\ No newline at end of file
"""
RENAME_PATCH = """diff --git a/lib/core.py b/conftest.py
similarity index 100%
rename from lib/core.py
rename to conftest.py
"""


def test_symbolic_links_and_renames_onto_protected_paths_are_stripped(tmp_path):
    assert strip_protected(SYMLINK_PATCH, _task(tmp_path)) == ("", ["tests"])
    assert strip_protected(RENAME_PATCH, _task(tmp_path))[1] == ["conftest.py"]


def test_pytest_runs_through_the_graders_launcher_with_a_pinned_configuration(tmp_path):
    repo = tmp_path / "repo"
    (repo / "tests").mkdir(parents=True)
    task = _task(tmp_path, test_command="python3 -m pytest -q tests")
    cmd = command(task, repo, "tests/test_canary.py")
    assert cmd.startswith("python3 -I -B /grade/runner/pytest_main.py ")
    assert "-c /grade/runner/pytest.ini" in cmd and "--rootdir=/repo" in cmd and "-p no:cacheprovider" in cmd
    assert "tests/test_canary.py" not in cmd  # `tests` collects it already; naming it twice runs it twice
    assert cmd.endswith(" -q tests")
    (repo / "setup.cfg").write_text("[tool:pytest]\naddopts = -x\n")
    assert "-c /repo/setup.cfg" in command(task, repo)
    venv = _task(tmp_path, test_command="exec 2>&1; /opt/dgm-venv/bin/python -m pytest -rA tests/test_a.py::test_a")
    cmd = command(venv, repo, "tests/test_canary.py")
    assert cmd.startswith("exec 2>&1; /opt/dgm-venv/bin/python -I -B /grade/runner/pytest_main.py")
    assert cmd.endswith("tests/test_canary.py -rA tests/test_a.py::test_a")
    assert "python3 -I -B" in command(_task(tmp_path, test_command="cd sub && pytest"), repo)
    with pytest.raises(TaskError, match="the grader runs pytest itself"):
        command(_task(tmp_path, test_command="make test"), repo)


def test_the_configuration_pytest_would_pick_is_found_like_pytest_does(tmp_path):
    repo = tmp_path / "repo"
    (repo / "tests" / "unit").mkdir(parents=True)
    assert inifile(repo, ["tests"]) == "/grade/runner/pytest.ini"
    (repo / "setup.cfg").write_text("[metadata]\nname = x\n")  # no pytest section: not pytest's
    (repo / "tox.ini").write_text("[pytest]\n")
    assert inifile(repo, ["tests/unit/test_a.py::test_b"]) == "/repo/tox.ini"
    (repo / "tests" / "pytest.ini").write_text("[pytest]\n")
    assert inifile(repo, ["tests/unit", "tests/test_c.py"]) == "/repo/tests/pytest.ini"
    assert inifile(repo, ["tests", "other"]) == "/repo/tox.ini"
    (repo / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    assert inifile(repo, []) == "/repo/pyproject.toml"


def test_only_lines_tagged_with_the_grades_secret_are_outcomes(tmp_path):
    task = _task(tmp_path)
    output = "\n".join([
        "PASSED tests/test_a.py::test_a",  # printed by anyone: not an outcome
        "@@dgm:wrong PASSED tests/test_a.py::test_forged",
        "@@dgm:s3cret COLLECTED tests/test_a.py::test_a",
        "@@dgm:s3cret COLLECTED tests/test_a.py::test_never_reported",
        ".@@dgm:s3cret FAILED tests/test_a.py::test_a",
        "@@dgm:s3cret PASSED tests/test_a.py::test_a",  # a later PASSED never hides a failure of the same test
    ])
    tests, kept = outcomes(task, output, "s3cret")
    assert tests == {"tests/test_a.py::test_a": "FAILED", "tests/test_a.py::test_never_reported": "MISSING"}
    assert "s3cret" not in kept and kept.splitlines()[0] == "PASSED tests/test_a.py::test_a"


def test_canaries_judge_the_run():
    c = Canaries("t::ok", "t::bad", {"ok": "dgm_canary_must_pass", "bad": "dgm_canary_must_fail"})
    honest = {"t::ok": "PASSED", "t::bad": "FAILED", "t::real": "PASSED"}
    assert judge(c, dict(honest), True) is None
    tests = dict(honest)
    judge(c, tests, True)
    assert tests == {"t::real": "PASSED"}  # the grader's own tests never reach the record
    assert "must-fail" in judge(c, {**honest, "t::bad": "PASSED"}, True)
    assert "must-fail" in judge(c, {**honest, "t::bad": "SKIPPED"}, False)  # skipping failures is tampering too
    assert "must-pass" in judge(c, {**honest, "t::ok": "FAILED"}, False)
    assert "not reported" in judge(c, {"t::real": "PASSED"}, True)
    assert judge(c, {"t::real": "ERROR"}, False) is None  # a broken build stops the canaries too
    assert judge(None, {}, True) is None
    assert mask("FAILED t::bad and ok", c) == "FAILED t::dgm_canary_must_fail and dgm_canary_must_pass"


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
