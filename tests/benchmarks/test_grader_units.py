from benchmarks.grader import parse_outcomes, strip_protected

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


def test_edits_to_hidden_tests_and_runner_config_are_stripped():
    kept, stripped = strip_protected(PATCH, {"tests/test_hidden.py"})
    assert stripped == ["tests/test_hidden.py", "tests/conftest.py"]
    assert "lib/core.py" in kept and "test_hidden" not in kept and "conftest" not in kept
    assert strip_protected("", {"x"}) == ("", [])


def test_parse_outcomes_reads_pytest_short_summary():
    output = "\n".join([
        "PASSED tests/test_a.py::test_one",
        "FAILED tests/test_a.py::TestX::test_two - AssertionError: boom",
        "ERROR tests/test_b.py - ImportError",
        "  PASSED not at line start is ignored",
        "1 failed, 1 passed in 0.1s",
    ])
    assert parse_outcomes(output) == {
        "tests/test_a.py::test_one": "PASSED",
        "tests/test_a.py::TestX::test_two": "FAILED",
        "tests/test_b.py": "ERROR",
    }
