"""Grading the fixture polyglot exercises through the real grader, in the polyglot image, offline.

For each of the six languages the example solution must pass and the untouched stub must fail, each
with per-test outcomes parsed from the language's own runner. Needs the image from
`dgm setup --polyglot`: skipped without it, a failure under DGM_REQUIRE_DOCKER=1.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.grader import GradeResult, grade
from benchmarks.polyglot import load_polyglot
from benchmarks.task import Task
from dgm.config import SandboxConfig
from sandbox.container import DockerSandbox

pytestmark = pytest.mark.docker

FIXTURE = Path(__file__).parents[1] / "fixtures" / "polyglot"
LANGUAGES = ["cpp", "go", "java", "javascript", "python", "rust"]


@pytest.fixture()
def sandbox_config(sandbox_config: SandboxConfig) -> SandboxConfig:
    # The C++ build compiles Catch2's main; give it room on a busy CI machine.
    return sandbox_config.model_copy(update={"grade_timeout_s": 300, "memory": "2g"})


def _task(language: str) -> Task:
    (task,) = load_polyglot(FIXTURE, [language])
    return task


@pytest.fixture(scope="module")
def solution_grades() -> dict[str, GradeResult]:
    """Each example solution's grade, made once: two tests read it (the C++ build alone takes half a minute)."""
    return {}


def _solution_grade(grades: dict[str, GradeResult], sandbox: DockerSandbox, language: str) -> GradeResult:
    if language not in grades:
        task = _task(language)
        grades[language] = grade(sandbox, task, task.solution_patch or "")
    return grades[language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_example_solution_passes(sandbox: DockerSandbox, polyglot_image: str, solution_grades, language: str) -> None:
    result = _solution_grade(solution_grades, sandbox, language)
    assert result.error is None, result.output[-3000:]
    assert result.resolved and result.tampered is None, result.output[-3000:]
    assert result.exit_code != 0  # the grader's must-fail canary fails in every honest run
    assert len(result.tests) >= 3 and set(result.tests.values()) == {"PASSED"}, result.tests


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_untouched_stub_fails(sandbox: DockerSandbox, polyglot_image: str, language: str) -> None:
    result = grade(sandbox, _task(language), "")
    assert not result.resolved
    assert result.exit_code not in (0, None), result.output[-3000:]
    assert "FAILED" in result.tests.values(), (result.tests, result.output[-3000:])


def test_skipped_tests_are_unskipped_so_every_test_counts(sandbox: DockerSandbox, polyglot_image: str, solution_grades) -> None:
    # The tracks ship all but the first test disabled (xtest, #[ignore], @Disabled, a preprocessor
    # guard); each must run, or a solution passing only the first test would count as resolved.
    expected = {"cpp": 3, "java": 3, "javascript": 3, "rust": 3}
    for language, count in expected.items():
        result = _solution_grade(solution_grades, sandbox, language)
        assert len([o for o in result.tests.values() if o == "PASSED"]) == count, (language, result.tests)


def test_grading_runs_with_no_network(sandbox: DockerSandbox, polyglot_image: str) -> None:
    # Every toolchain answers in a container that has only the loopback interface.
    result = sandbox.run(
        ["bash", "-c", "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '; go version; cargo --version; "
                       "javac -version; node --version; cmake --version | head -1; python3 -m pytest --version; "
                       "test -x /opt/dgm-js/node_modules/.bin/jest && echo jest-ok"],
        image=polyglot_image, timeout_s=60)
    lines = result.output.split()
    assert result.exit_code == 0, result.output
    assert lines[0] == "lo" and "eth0" not in lines, result.output
    assert "jest-ok" in lines


def test_a_patch_that_edits_tests_or_runner_files_is_stripped_and_not_counted(
        sandbox: DockerSandbox, polyglot_image: str) -> None:
    task = _task("javascript")
    cheat = (
        "diff --git a/title-words.spec.js b/title-words.spec.js\nnew file mode 100644\n--- /dev/null\n"
        "+++ b/title-words.spec.js\n@@ -0,0 +1 @@\n+test('always', () => {});\n"
        "diff --git a/package.json b/package.json\n--- a/package.json\n+++ b/package.json\n"
        "@@ -1,2 +1,3 @@\n {\n+  \"jest\": {\"testPathIgnorePatterns\": [\".*\"]},\n"
        "   \"name\": \"@dgm-fixture/title-words\",\n"
    )
    alone = grade(sandbox, task, cheat)
    assert sorted(alone.stripped_paths) == ["package.json", "title-words.spec.js"]
    assert not alone.resolved and "FAILED" in alone.tests.values()
    # Stripping removes only the cheat: the real solution beside it still counts.
    with_solution = grade(sandbox, task, (task.solution_patch or "") + cheat)
    assert sorted(with_solution.stripped_paths) == ["package.json", "title-words.spec.js"]
    assert with_solution.resolved, with_solution.output[-3000:]
