"""Agents' code from the run's agents.git: diffs between any two agents, and a tarball of one.

Synthetic or damaged runs may have agents without commits or no repository at all; callers get
None and say so instead of failing. Commits come from our own database and are still checked to be
hex object names before they reach git, so nothing can pass for an option.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from unidiff import PatchSet
from unidiff.errors import UnidiffParseError

from archive_db.agents_repo import AgentRepo
from kernel.errors import NotFoundError
from kernel.git import GitError

OBJECT_NAME = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
MAX_DIFF_CHARS = 2_000_000  # a browser renders this much comfortably; beyond it we say it was cut


def has_code(run_dir: Path) -> bool:
    """Whether the run has an agents.git (synthetic and damaged runs may not)."""
    return (run_dir / "agents.git" / "HEAD").is_file()


def repo(run_dir: Path) -> AgentRepo | None:
    # create=False: the dashboard never writes, not even a missing repository.
    return AgentRepo(run_dir / "agents.git", create=False) if has_code(run_dir) else None


def valid_commit(commit: str | None) -> bool:
    return bool(commit) and OBJECT_NAME.match(commit or "") is not None


def file_stats(patch: str) -> list[dict[str, Any]]:
    try:
        files = PatchSet(patch)
    except UnidiffParseError:
        return []
    return [{"path": f.path, "added": f.added, "removed": f.removed,
             "change": "added" if f.is_added_file else "removed" if f.is_removed_file else "modified"} for f in files]


def diff(run_dir: Path, old: str | None, new: str | None) -> dict[str, Any] | None:
    """The patch from ``old`` to ``new`` with per-file counts, or None when either has no code."""
    if not valid_commit(old) or not valid_commit(new) or not has_code(run_dir):
        return None
    return _diff(run_dir, str(old), str(new))


@lru_cache(maxsize=32)  # commits never change, so neither does a diff between two of them
def _diff(run_dir: Path, old: str, new: str) -> dict[str, Any] | None:
    agents = repo(run_dir)
    if agents is None:
        return None
    # Agents may commit bytes that are not UTF-8; the page gets replacement characters instead.
    try:
        patch = agents.diff(old, new).encode("utf-8", "replace").decode("utf-8")
    except NotFoundError:  # a commit the repository does not hold (a damaged or synthetic run)
        return None
    truncated = len(patch) > MAX_DIFF_CHARS
    if truncated:
        patch = patch[:MAX_DIFF_CHARS].rsplit("\n", 1)[0] + "\n"
    return {"diff": patch, "truncated": truncated, "files": file_stats(patch)}


def tarball(run_dir: Path, commit: str | None, prefix: str) -> bytes | None:
    """The agent's files as .tar.gz (git archive reads the bare repository only)."""
    agents = repo(run_dir) if valid_commit(commit) else None
    if agents is None:
        return None
    try:
        return agents.tarball(str(commit), prefix)
    except GitError:
        return None
