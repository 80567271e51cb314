"""The task format (docs/TASK_FORMAT.md) and loading a suite of tasks from folders."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Literal

from kernel.errors import TaskError

SUITES = Path(__file__).parent / "suites"
CANARIES = Path(__file__).parent / "canaries"  # cheating canaries: never a suite (benchmarks/canaries/README.md)
DIFFICULTIES = ("easy", "medium", "hard")


Rule = Literal["listed", "all"]


@dataclass(frozen=True)
class Task:
    """One benchmark task, whatever benchmark it came from.

    ``repo_dir`` is what the agent sees; ``hidden_dir`` holds files copied over the repository only
    when grading (never shown to the agent). ``rule`` says what resolved means: "listed" (every
    fail_to_pass and pass_to_pass test passes; the built-in suite and SWE-bench) or "all" (the
    test command exits 0 and no test fails; Polyglot exercises).
    """

    id: str
    title: str
    difficulty: str
    kind: str
    problem: str
    root: Path
    test_command: str
    fail_to_pass: tuple[str, ...]
    pass_to_pass: tuple[str, ...]
    repo_dir: Path
    hidden_dir: Path
    solution_patch: str | None = None
    image: str | None = None  # the sandbox image its agent and grader run in; None: the default image
    runner: str = "pytest"  # which parser in benchmarks/outcomes.py reads the test output
    rule: Rule = "listed"
    editable: tuple[str, ...] | None = None  # when set, the only paths a patch may change
    benchmark: str = "builtin"
    language: str = "python"
    deleted: tuple[str, ...] = ()  # files the grader removes before the tests run (SWE-bench test_patch)
    # The untouched repository already passes (Exercism's refactoring exercises, which Aider's Polyglot
    # counts): the suite check says so, and every patch is graded, an empty one included.
    already_passing: bool = False
    # What the task needs that this machine cannot have (a library only a registry that cannot be
    # reached offers): the suite check reports it broken with this reason, without grading it.
    unavailable: str = ""

    @property
    def hidden_files(self) -> tuple[str, ...]:
        return tuple(sorted(p.relative_to(self.hidden_dir).as_posix() for p in self.hidden_dir.rglob("*") if p.is_file()))

    def content_hash(self) -> str:
        """A hash of everything that decides grading, so caches and manifests pin what was graded."""
        return self._content_hash

    @cached_property
    def _content_hash(self) -> str:  # computed once: big repositories (SWE-bench) take a while
        digest = hashlib.sha256()
        meta = [self.id, self.test_command, self.runner, self.rule, self.image or "", *self.fail_to_pass, "|",
                *self.pass_to_pass, "|", *(self.editable or ()), "|", *self.deleted]
        digest.update("\0".join(meta).encode())
        for label, folder in (("repo", self.repo_dir), ("hidden", self.hidden_dir)):
            for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
                digest.update(f"{label}/{path.relative_to(folder).as_posix()}".encode() + b"\0" + path.read_bytes())
        digest.update((self.solution_patch or "").encode())
        return digest.hexdigest()


def _require(data: dict, key: str, kind: type, where: Path) -> object:
    if key not in data:
        raise TaskError(f"{where}: missing required field '{key}'")
    if not isinstance(data[key], kind):
        raise TaskError(f"{where}: field '{key}' must be {kind.__name__}")
    return data[key]


def load_task(root: Path) -> Task:
    root = Path(root)
    meta_path = root / "task.toml"
    if not meta_path.is_file():
        raise TaskError(f"{root}: not a task folder (no task.toml)")
    try:
        meta = tomllib.loads(meta_path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise TaskError(f"{meta_path}: not valid TOML: {exc}") from None
    if not (root / "problem.md").is_file():
        raise TaskError(f"{root}: missing problem.md")
    if not (root / "repo").is_dir():
        raise TaskError(f"{root}: missing the repository snapshot repo/")
    if not (root / "hidden").is_dir() or not any(p.is_file() for p in (root / "hidden").rglob("*")):
        raise TaskError(f"{root}: missing its hidden tests (hidden/ is absent or empty)")
    f2p = tuple(_require(meta, "fail_to_pass", list, meta_path))  # type: ignore[arg-type]
    if not f2p:
        raise TaskError(f"{meta_path}: fail_to_pass is empty, nothing would prove a fix")
    difficulty = str(meta.get("difficulty", "medium"))
    if difficulty not in DIFFICULTIES:
        raise TaskError(f"{meta_path}: difficulty must be one of {', '.join(DIFFICULTIES)}")
    task = Task(
        id=str(meta.get("id", root.name)),
        title=str(meta.get("title", root.name)),
        difficulty=difficulty,
        kind=str(meta.get("kind", "bug")),
        problem=(root / "problem.md").read_text(),
        root=root,
        test_command=str(_require(meta, "test_command", str, meta_path)),
        fail_to_pass=f2p,
        pass_to_pass=tuple(meta.get("pass_to_pass", [])),
        repo_dir=root / "repo",
        hidden_dir=root / "hidden",
        solution_patch=(root / "solution.patch").read_text() if (root / "solution.patch").is_file() else None,
    )
    clash = [f for f in task.hidden_files if (task.repo_dir / f).exists()]
    if clash:
        raise TaskError(f"{root}: hidden file {clash[0]} is also visible in repo/")
    return task


def suite_dir(name: str, path: Path | None = None) -> Path:
    if path is not None:
        return Path(path)
    candidate = SUITES / name
    if not candidate.is_dir():
        known = ", ".join([*sorted(p.name for p in SUITES.iterdir() if p.is_dir()), "polyglot", "swebench"])
        raise TaskError(f"unknown benchmark '{name}' (known: {known}; or pass --benchmark-path)")
    return candidate


def load_suite(name: str = "builtin", path: Path | None = None, only: list[str] | None = None) -> list[Task]:
    """All tasks of a suite, in a stable order (by id), optionally restricted to ``only``."""
    folder = suite_dir(name, path)
    if not folder.is_dir():
        raise TaskError(f"benchmark folder not found: {folder}")
    tasks = select([load_task(p) for p in sorted(folder.iterdir()) if p.is_dir() and not p.name.startswith((".", "_"))],
                   only, folder.name)
    if not tasks:
        raise TaskError(f"benchmark '{folder}' has no tasks")
    return tasks


def load_canaries(folder: Path = CANARIES) -> list[Task]:
    """The cheating-canary tasks, by id: impossible for an honest patch, run in the default image."""
    tasks = [replace(load_task(p), benchmark="canary", image=None)
             for p in sorted(folder.iterdir()) if p.is_dir() and not p.name.startswith((".", "_"))]
    if not tasks:
        raise TaskError(f"no cheating-canary tasks in {folder}")
    return tasks


def select(tasks: list[Task], only: list[str] | None, where: str) -> list[Task]:
    """The tasks named in ``only`` (in that order), or all of them; unknown ids are an error."""
    if not only:
        return tasks
    by_id = {t.id: t for t in tasks}
    missing = [t for t in only if t not in by_id]
    if missing:
        raise TaskError(f"unknown task id(s) in {where}: {', '.join(missing)}")
    return [by_id[t] for t in only]
