"""How the grader runs each kind of test runner: the command, the preparation of the staged tree, and
how outcomes are read. The task says *what* to run; what the grader decides here is *how*, and no
file of a patch can change it (benchmarks/protect.py strips the files each runner would read).

- pytest: the task's `python -m pytest ARGS` (or `pytest ARGS`) becomes the grader's launcher,
  `python -I -B /grade/runner/pytest_main.py` with a pinned configuration file (the untouched
  repository's own, or an empty one), `--rootdir=/repo`, `--confcutdir=/repo`, no cache and no
  auto-loaded plugins; outcomes are read only from the lines its report plugin tags with the grade's
  secret.
- go, cargo, jest, junit, catch2: the task's command (the Polyglot commands in benchmarks/polyglot.py
  pin their toolchains' environment), outcomes from the runner's own output. Skipped tests are
  un-skipped here on the host (jest's xtest/xit/xdescribe, JUnit's @Disabled), as Aider's harness
  does, because the tests cannot write the tree they run in.
"""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from benchmarks.cargo_manifest import MANIFEST, merged
from benchmarks.outcomes import parse, record
from benchmarks.protect import is_merged_manifest
from benchmarks.task import Task
from kernel.errors import TaskError
from sandbox.image import JS_TOOLS_DIR

LAUNCHER = "/grade/runner/pytest_main.py"
PYTEST_RUNNER_FILES = ("pytest_main.py", "pytest_report.py")  # and pytest.ini, the empty configuration
EMPTY_INI = "/grade/runner/pytest.ini"
# `python3 -m pytest`, `/opt/venv/bin/python -m pytest` or a bare `pytest`.
PYTEST_CALL = re.compile(r"(?P<python>(?<![\w./-])(?:[\w./-]*/)?python[0-9.]*)\s+-m\s+pytest\b|(?<![\w./-])pytest(?![\w.-])")
# pytest's own search order for its configuration file (rootdir/inifile determination).
INI_FILES = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")
JS_SKIPPED = re.compile(r"\bx(test|it|describe)\(")
JAVA_DISABLED = re.compile(r"@Disabled\b(\([^)]*\))?")


@dataclass(frozen=True)
class Runner:
    name: str
    runner_files: tuple[str, ...] = ()  # copied from benchmarks/runner_files into /grade/runner
    prepare: Callable[[Path, Task], None] = lambda repo, task: None


def runner_for(task: Task) -> Runner:
    return RUNNERS.get(task.runner, Runner(task.runner))


def command(task: Task, repo: Path, canary_module: str | None = None) -> str:
    """The shell command the grading container runs in /repo; ``canary_module`` is added to pytest's
    arguments unless they already collect it (pytest would run a module named twice twice)."""
    if task.runner != "pytest":
        return task.test_command
    match = PYTEST_CALL.search(task.test_command)
    if match is None:
        raise TaskError(f"task {task.id}: the grader runs pytest itself, so its test_command must call "
                        f"`python -m pytest ...` or `pytest ...` (got: {task.test_command[:120]})")
    python = match.group("python") or "python3"
    args = _arguments(task.test_command[match.end():])
    pinned = ["-p", "no:cacheprovider", "-rA", "--rootdir=/repo", "--confcutdir=/repo", "-c", inifile(repo, args)]
    if canary_module and not _collects(args, canary_module):
        pinned.append(canary_module)
    launcher = f"{python} -I -B {LAUNCHER} {' '.join(shlex.quote(a) for a in pinned)}"
    return task.test_command[:match.start()] + launcher + task.test_command[match.end():]


def _arguments(rest: str) -> list[str]:
    """The path arguments of a pytest call (up to the end of that shell command)."""
    try:
        words = shlex.split(re.split(r"[;&|]", rest, maxsplit=1)[0])
    except ValueError:
        return []
    return [w for w in words if not w.startswith("-")]


def _collects(args: list[str], module: str) -> bool:
    """Whether pytest run on ``args`` (paths, relative to /repo) collects ``module`` anyway."""
    target = PurePosixPath(module)
    folders = [PurePosixPath(a) for a in args if "::" not in a]
    return not args or any(f == target or f in target.parents or str(f) in (".", "") for f in folders)


def inifile(repo: Path, args: list[str]) -> str:
    """The configuration file pytest would pick in the untouched tree (protected, so the same in the
    graded one), as a container path; the grader's empty one when there is none. Searched like pytest:
    from the arguments' common folder up to the repository root."""
    folders = [PurePosixPath(a.split("::", 1)[0]) for a in args] or [PurePosixPath(".")]
    common = _common(folders)
    here = repo / common
    while True:
        if here.is_file():
            here = here.parent
        for name in INI_FILES:
            if _is_pytest_config(here / name):
                return f"/repo/{(here / name).relative_to(repo).as_posix()}"
        if here == repo or repo not in here.parents:
            return EMPTY_INI
        here = here.parent


def _common(paths: list[PurePosixPath]) -> PurePosixPath:
    parts = [p.parts for p in paths]
    common: list[str] = []
    for group in zip(*parts, strict=False):
        if len(set(group)) != 1 or ".." in group:
            break
        common.append(group[0])
    return PurePosixPath(*common) if common else PurePosixPath(".")


def _is_pytest_config(path: Path) -> bool:
    if not path.is_file():
        return False
    try:
        if path.name in ("pytest.ini", ".pytest.ini"):
            return True
        if path.name == "pyproject.toml":
            return "ini_options" in tomllib.loads(path.read_text()).get("tool", {}).get("pytest", {})
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(path)
        return parser.has_section("pytest" if path.name == "tox.ini" else "tool:pytest")
    except (OSError, ValueError, configparser.Error, UnicodeDecodeError):
        return False


def outcomes(task: Task, output: str, nonce: str) -> tuple[dict[str, str], str]:
    """(test id -> outcome, the output to store). For pytest, only lines tagged with the grade's
    secret count, and they are removed from the stored output."""
    if task.runner != "pytest":
        return parse(task.runner, output), output
    tag = f"@@dgm:{nonce} "
    tests: dict[str, str] = {}
    kept: list[str] = []
    for line in output.splitlines():
        # The plugin's lines may follow a progress dot on the same line; the secret cannot be forged.
        at = line.find(tag)
        if at < 0:
            kept.append(line)
            continue
        if line[:at].strip():
            kept.append(line[:at])
        word, _, node = line[at + len(tag):].partition(" ")
        if word == "COLLECTED":
            tests.setdefault(node, "MISSING")
        elif word in ("PASSED", "FAILED", "ERROR", "SKIPPED", "XFAIL", "XPASS"):
            if tests.get(node) == "MISSING":
                del tests[node]
            record(tests, node, word)  # the worse outcome of a test reported twice wins
    return tests, "\n".join(kept)


def _rewrite(repo: Path, task: Task, pattern: re.Pattern[str], replacement: str) -> None:
    for name in task.hidden_files:
        path = repo / name
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        new = pattern.sub(replacement, text)
        if new != text:
            path.write_text(new, encoding="utf-8", errors="surrogateescape")


def _prepare_jest(repo: Path, task: Task) -> None:
    # The track skips all but the first test for learners; like Aider, every test runs.
    _rewrite(repo, task, JS_SKIPPED, r"\1(")
    link = repo / "node_modules"
    if not link.exists() and not link.is_symlink():
        link.symlink_to(f"{JS_TOOLS_DIR}/node_modules")  # the tools the image was built with


def _prepare_junit(repo: Path, task: Task) -> None:
    _rewrite(repo, task, JAVA_DISABLED, "")


def _prepare_cargo(repo: Path, task: Task) -> None:
    # Whatever the patch did to an editable Cargo.toml (or if it removed it), the manifest graded is
    # the untouched one with the patch's plain crate dependencies.
    if not is_merged_manifest(task, MANIFEST):
        return
    untouched = (task.repo_dir / MANIFEST).read_text(encoding="utf-8", errors="replace")
    target = repo / MANIFEST
    patched = target.read_text(encoding="utf-8", errors="replace") if target.is_file() else untouched
    text, _ = merged(untouched, patched)
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    else:
        target.unlink(missing_ok=True)
    target.write_text(text, encoding="utf-8")


RUNNERS: dict[str, Runner] = {
    # Everything pytest needs is in its command; the empty configuration ships with the runner files.
    "pytest": Runner("pytest", (*PYTEST_RUNNER_FILES, "pytest.ini")),
    "jest": Runner("jest", (), _prepare_jest),
    "junit": Runner("junit", (), _prepare_junit),
    "cargo": Runner("cargo", (), _prepare_cargo),
}
