"""Patches are computed on the host with git from the trees a container hands back.

We never trust an agent's own report of what it changed; the diff of the returned tree against
the tree it was given is the patch. unidiff reads patches for statistics and path filtering.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from unidiff import PatchSet
from unidiff.errors import UnidiffParseError

from sandbox.tario import human_size, remove_tree, scratch_dir

COPY_SKIPPED = {".git", "__pycache__", ".pytest_cache"}

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


class PatchTooLarge(ValueError):
    """A diff past the patch-size limit; git's output was read no further than the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the patch is larger than {human_size(limit)} (sandbox.max_patch_bytes)")
        self.limit = limit


def copy_tree(src: Path, dest: Path) -> None:
    """Copy ``src`` into ``dest`` (which may exist): links as links, no .git or caches, and no
    recursion (shutil.copytree recurses; a tree from a container may be as deep as it likes).
    A link already in ``dest`` is replaced, never written through (a patch may have planted one
    where a hidden test goes). Anything but files, folders and links is left out. Raises OSError
    on a conflict (a folder where a file goes)."""
    pending: list[tuple[str, str, bool]] = [(os.fspath(src), os.fspath(dest), False)]
    while pending:
        source, target, filled = pending.pop()
        if filled:  # after its contents, as copytree does: a read-only folder is filled first
            shutil.copystat(source, target, follow_symlinks=False)
            continue
        os.makedirs(target, exist_ok=True)
        pending.append((source, target, True))
        with os.scandir(source) as entries:
            for entry in entries:
                if entry.name in COPY_SKIPPED:
                    continue
                to = os.path.join(target, entry.name)
                if entry.is_symlink():
                    _unlink_unless_folder(to)
                    os.symlink(os.readlink(entry.path), to)
                elif entry.is_dir():
                    if os.path.islink(to):
                        os.unlink(to)
                    pending.append((entry.path, to, False))
                elif entry.is_file():
                    _unlink_unless_folder(to)
                    shutil.copyfile(entry.path, to)  # not copy2: onto a folder it would copy into it
                    shutil.copystat(entry.path, to)


def _unlink_unless_folder(path: str) -> None:
    if os.path.islink(path) or os.path.isfile(path):
        os.unlink(path)


def diff_trees(before: Path, after: Path, max_bytes: int | None = None) -> str:
    """The unified diff (git format, a/ b/ prefixes) that turns ``before`` into ``after``.

    Raises PatchTooLarge when it is longer than ``max_bytes``."""
    with scratch_dir("dgm-diff-") as tmp:
        work = tmp / "w"
        copy_tree(before, work)
        git("init", "-q", cwd=work)
        git("add", "-A", "-f", cwd=work)
        git("commit", "-q", "--allow-empty", "-m", "before", cwd=work)
        for child in work.iterdir():
            if child.name != ".git":
                remove_tree(child)
        copy_tree(after, work)
        git("add", "-A", "-f", cwd=work)
        diff = ["diff", "--cached", "--no-color", "--no-ext-diff", "--no-renames"]
        return git(*diff, cwd=work) if max_bytes is None else _git_bounded(diff, work, max_bytes)


def _git_bounded(args: list[str], cwd: Path, max_bytes: int) -> str:
    """git's output, read no further than ``max_bytes`` (a 181 MB patch was read whole before)."""
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(["git", "-c", "core.hooksPath=/dev/null", *args], cwd=cwd, env=GIT_ENV,
                                stdout=subprocess.PIPE, stderr=stderr)
        out = bytearray()
        try:
            while chunk := proc.stdout.read(1024 * 1024):
                out += chunk
                if len(out) > max_bytes:
                    proc.kill()
                    raise PatchTooLarge(max_bytes)
        finally:
            proc.stdout.close()
            proc.wait()
        if proc.returncode != 0:
            stderr.seek(0)
            raise RuntimeError(f"git {args[0]} failed: {stderr.read().decode(errors='replace').strip()[:500]}")
    return out.decode("utf-8", "replace")


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
