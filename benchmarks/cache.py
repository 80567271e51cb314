"""Caches that make grading cheap to repeat: grades by (task, patch), suite checks by task, and how long
each task's check last took (by the task's content alone), so the next check starts the slowest first.

Both live in one SQLite file under DGM_HOME, shared by every run on the machine. A key includes the
task's content hash and the image's id, so editing a task or rebuilding an image never serves a stale
result. Only finished grades are cached; a timeout or an engine error is graded again next time.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from contextlib import closing
from pathlib import Path

from benchmarks.grader import GradeResult, grade, strip_protected
from benchmarks.task import Task
from kernel.config import dgm_home
from kernel.patches import patch_hash
from sandbox.container import DockerSandbox

# Bump when grading semantics change (parsers, rules, the grade script), to retire old entries.
GRADER_VERSION = "3"
SCHEMA = """
CREATE TABLE IF NOT EXISTS grades (key TEXT PRIMARY KEY, result TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS checks (key TEXT PRIMARY KEY, result TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS durations (key TEXT PRIMARY KEY, result TEXT NOT NULL);
"""


class GradeCache:
    """A small key-value store; one connection per call, so worker threads can share an instance."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or dgm_home() / "cache" / "grades.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=60)

    def get(self, table: str, key: str) -> dict | None:
        with closing(self._connect()) as db:
            row = db.execute(f"SELECT result FROM {table} WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, table: str, key: str, value: dict) -> None:
        with closing(self._connect()) as db, db:
            db.execute(f"INSERT OR REPLACE INTO {table} (key, result) VALUES (?, ?)", (key, json.dumps(value)))


def grade_key(sandbox: DockerSandbox, task: Task, clean_patch: str) -> str:
    """The key of a patch already stripped: patches that differ only in stripped edits grade alike."""
    return "|".join([GRADER_VERSION, task.content_hash(), sandbox.image_id(task.image), patch_hash(clean_patch)])


def grade_cached(sandbox: DockerSandbox, task: Task, patch: str, cache: GradeCache | None) -> GradeResult:
    """`grade`, but a (task, patch, image) graded before is answered from the cache."""
    if cache is None:
        return grade(sandbox, task, patch)
    clean, stripped = strip_protected(patch, task)
    key = grade_key(sandbox, task, clean)
    hit = cache.get("grades", key)
    if hit is not None:
        result = GradeResult(**hit)
        result.cached = True
        result.stripped_paths = stripped  # these depend on the raw patch, not the cleaned one that keys the cache
        return result
    result = grade(sandbox, task, patch)
    # Neither a timeout nor a grade cut short by the run's shutdown says anything lasting.
    if result.error != "grading timed out" and not sandbox.closed:
        cache.put("grades", key, dataclasses.asdict(result))
    return result
