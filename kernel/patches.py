"""Patches are computed on the host with git from the trees a container hands back.

We never trust an agent's own report of what it changed; the diff of the returned tree against
the tree it was given is the patch. unidiff reads patches for statistics and path filtering.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from unidiff import PatchSet
from unidiff.errors import UnidiffParseError

from kernel.config import human_size
from kernel.git import GitOutputTooLarge, git, git_bounded
from kernel.trees import copy_tree, remove_tree, scratch_dir

DIFF = ("diff", "--cached", "--no-color", "--no-ext-diff", "--no-renames")


class PatchTooLarge(ValueError):
    """A diff past the patch-size limit; git's output was read no further than the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the patch is larger than {human_size(limit)} (sandbox.max_patch_bytes)")
        self.limit = limit


def diff_trees(before: Path, after: Path, max_bytes: int | None = None, binary: bool = False) -> str:
    """The unified diff (git format, a/ b/ prefixes) that turns ``before`` into ``after``.

    ``binary``: exact, for a patch that becomes a commit (a self-edit): binary files as git binary
    patches, and bytes that are not UTF-8 kept (as surrogates; encode with "surrogateescape").
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
        args, errors = (*DIFF, "--binary") if binary else DIFF, "surrogateescape" if binary else "replace"
        if max_bytes is None:
            return git(*args, cwd=work, errors=errors)
        try:
            return git_bounded(*args, cwd=work, max_bytes=max_bytes, errors=errors)
        except GitOutputTooLarge:
            raise PatchTooLarge(max_bytes) from None


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
