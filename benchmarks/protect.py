"""What a patch may not change: every file a test runner reads before the code under test.

A graded patch is hostile input. If it could add a `conftest.py`, a `tests/tox.ini` whose `addopts`
loads a plugin, a `pytest.py` that shadows pytest, a `.cargo/config.toml` with a `runner`, a
`jest.config.js`, a `build.rs` or a `__pycache__/*.pyc` for a hidden test, it would decide how the
tests run and what they report. So before grading, the file diffs of a patch that touch any of these
are stripped (and recorded):

- the task's hidden tests, and every test file (by the runner's conventions: the tests a patch could
  weaken are as protected as the ones it cannot see);
- the runner's configuration, build and dependency files, plugins and anything it imports or
  executes before the code under test (per runner below, and for every runner: bytecode, `.git`);
- symbolic links (a link could point a test path elsewhere);
- with an `editable` list (Polyglot), everything but those files.

One exception: a Rust exercise's `Cargo.toml`, when the task lets it be edited, is kept, and the grader
grades with the untouched manifest plus the patch's plain crate dependencies only
(benchmarks/cargo_manifest.py).

Stripping is the first layer; the grader also runs the tests in a tree the code under test cannot
write (benchmarks/staging.py), with a pinned runner configuration (benchmarks/runners.py) and canary
tests (benchmarks/canary_tests.py).
"""

from __future__ import annotations

import fnmatch
from pathlib import PurePosixPath

from unidiff import PatchSet
from unidiff.errors import UnidiffParseError

from benchmarks.cargo_manifest import MANIFEST
from benchmarks.task import Task

# Any runner: bytecode a test module could be loaded from instead of its source, version control, and
# stored snapshots (jest and syrupy compare output with them: they are expected values).
COMMON_DIRS = {".git", "__pycache__", "__snapshots__"}
COMMON_NAMES = {"*.pyc", "*.pyo", ".gitmodules"}

# Per runner: file-name patterns (matched on the last path component) and directory names (any
# component) that a patch may not add, change or remove.
RUNNER_NAMES: dict[str, set[str]] = {
    "pytest": {
        # configuration pytest reads, wherever it is: a subdirectory's tox.ini is picked up too
        "conftest.py", "pytest.ini", ".pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml",
        # what Python or pytest would import or execute before the tests
        "sitecustomize.py", "usercustomize.py", "*.pth", "pytest.py", "py.py",
        # test modules
        "test_*.py", "*_test.py", "tests.py",
    },
    "go": {"*_test.go", "go.mod", "go.sum", "go.work", "go.work.sum", "*.golden"},
    "cargo": {"Cargo.toml", "Cargo.lock", "build.rs", "rust-toolchain", "rust-toolchain.toml"},
    "jest": {"package.json", "package-lock.json", "yarn.lock", ".npmrc", ".yarnrc", "jest.config.*",
             "babel.config.*", ".babelrc", ".babelrc.*", "tsconfig.json", "*.test.*", "*.spec.*"},
    "junit": {"build.gradle", "build.gradle.kts", "settings.gradle", "settings.gradle.kts", "gradlew",
              "gradlew.bat", "pom.xml", "junit-platform.properties", "*Test.java"},
    "catch2": {"CMakeLists.txt", "*.cmake", "CMakeCache.txt", "*_test.cpp", "*_test.cc", "catch.hpp"},
}
RUNNER_DIRS: dict[str, set[str]] = {
    "pytest": {"tests", "_pytest", "*.dist-info", "*.egg-info"},
    "go": {"vendor", "testdata"},
    "cargo": {".cargo", "tests", "benches", "snapshots"},  # insta keeps its snapshots in snapshots/
    "jest": {"node_modules", "__mocks__", "__tests__"},
    "junit": {"META-INF", "gradle", "test"},  # src/test/... holds the tests
    "catch2": {"test", "cmake"},
}
SYMLINK_MODE = "120000"


def _matches(name: str, patterns: set[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def is_runner_file(runner: str, path: str) -> bool:
    """Whether ``path`` (relative, posix) is a file the runner reads before the code under test, or
    a test; unknown runners get the common rules only."""
    parts = PurePosixPath(path).parts
    if not parts:
        return False
    dirs = COMMON_DIRS | RUNNER_DIRS.get(runner, set())
    if any(_matches(part, dirs) for part in parts[:-1]) or parts[0] in COMMON_DIRS:
        return True
    return _matches(parts[-1], COMMON_NAMES | RUNNER_NAMES.get(runner, set()))


def is_merged_manifest(task: Task, path: str) -> bool:
    """A Rust exercise's own Cargo.toml where the task lets it be edited: the patch's version is
    kept, and the grader takes only its dependencies from it (benchmarks/cargo_manifest.py)."""
    return task.runner == "cargo" and path == MANIFEST and task.editable is not None and MANIFEST in task.editable


def is_protected(task: Task, hidden: set[str], path: str) -> bool:
    if is_merged_manifest(task, path):
        return False
    if path in hidden or is_runner_file(task.runner, path):
        return True
    return task.editable is not None and path not in task.editable


def _relative(path: str) -> str:
    return str(PurePosixPath(path.split("/", 1)[1] if path.startswith(("a/", "b/")) else path))


def _is_symlink(pf) -> bool:
    header = str(pf.patch_info or "")
    return any(line.rstrip().endswith(SYMLINK_MODE) and "mode" in line for line in header.splitlines())


def strip_protected(patch: str, task: Task) -> tuple[str, list[str]]:
    """The patch without its file diffs that touch protected paths or make symbolic links, and the
    paths stripped."""
    if not patch.strip():
        return "", []
    try:
        ps = PatchSet(patch)
    except UnidiffParseError:
        ps = None
    if not ps:
        return patch, []  # not a patch unidiff can read: `git apply` reports it, grading fails honestly
    kept, stripped = [], []
    hidden = set(task.hidden_files)
    for pf in ps:
        names = {_relative(p) for p in (pf.source_file, pf.target_file) if p and p != "/dev/null"}
        if _is_symlink(pf) or any(is_protected(task, hidden, n) for n in names):
            stripped.append(pf.path)
        else:
            kept.append(str(pf))
    return "".join(kept), stripped
