"""Patches are computed on the host with git from the trees a container hands back.

We never trust an agent's own report of what it changed; the diff of the returned tree against
the tree it was given is the patch. unidiff reads patches for statistics and path filtering.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from unidiff import PatchSet
from unidiff.errors import UnidiffParseError

# Our own throwaway repositories: no user config, no hooks, no pager, deterministic identity.
GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_AUTHOR_NAME": "dgm",
    "GIT_AUTHOR_EMAIL": "dgm@localhost",
    "GIT_COMMITTER_NAME": "dgm",
    "GIT_COMMITTER_EMAIL": "dgm@localhost",
    "PATH": "/usr/local/bin:/usr/bin:/bin",
}


def git(*args: str, cwd: Path, env: dict[str, str] | None = None, input: bytes | None = None) -> str:
    proc = subprocess.run(
        ["git", "-c", "core.hooksPath=/dev/null", *args],
        cwd=cwd, env={**GIT_ENV, **(env or {})}, input=input, capture_output=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"git {args[0]} failed: {proc.stderr.decode(errors='replace').strip()[:500]}")
    return proc.stdout.decode("utf-8", "replace")


def copy_tree(src: Path, dest: Path) -> None:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".git", "__pycache__", ".pytest_cache"), symlinks=True, dirs_exist_ok=True)


def diff_trees(before: Path, after: Path) -> str:
    """The unified diff (git format, a/ b/ prefixes) that turns ``before`` into ``after``."""
    with tempfile.TemporaryDirectory(prefix="dgm-diff-") as tmp:
        work = Path(tmp) / "w"
        copy_tree(before, work)
        git("init", "-q", cwd=work)
        git("add", "-A", "-f", cwd=work)
        git("commit", "-q", "--allow-empty", "-m", "before", cwd=work)
        for child in work.iterdir():
            if child.name != ".git":
                shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        copy_tree(after, work)
        git("add", "-A", "-f", cwd=work)
        return git("diff", "--cached", "--no-color", "--no-ext-diff", "--no-renames", cwd=work)


@dataclass(frozen=True)
class PatchStats:
    files: int
    added: int
    removed: int
    paths: tuple[str, ...]


def patch_stats(patch: str) -> PatchStats:
    if not patch.strip():
        return PatchStats(0, 0, 0, ())
    try:
        ps = PatchSet(patch)
    except UnidiffParseError:
        return PatchStats(0, 0, 0, ())
    return PatchStats(len(ps), ps.added, ps.removed, tuple(f.path for f in ps))


def patch_hash(patch: str) -> str:
    return hashlib.sha256(patch.encode()).hexdigest()
