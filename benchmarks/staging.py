"""The tree a grade runs in, built on the host and handed to the container read-only.

On the host, in a scratch folder: the task's untouched repository, the cleaned patch applied with
`git apply` (a patch that does not apply fails here, without a container), the files the task's
tests delete removed, its hidden tests copied over, the runner's preparation (benchmarks/runners.py)
and the canary tests. Then a check independent of any patch parser: every protected path must be as
in the untouched tree (plus what the grader added), and no symbolic link may have appeared.

The tree goes into the container as a tar owned by root: files 0644 (0755 when executable) and
folders 0755, `/repo` itself 1777 with the sticky bit. The tests run as uid 1000, so the code under
test can create new files at the top of /repo (a runner's lock file) but cannot change, replace,
rename or delete one file of the graded tree, the tests included, nor write into its folders.
Beside it, `/grade/runner` holds the grader's own runner files and `/grade/secret` a per-grade
secret only the report plugin reads (owned by uid 1000, removed once read).
"""

from __future__ import annotations

import io
import os
import secrets
import shutil
import stat
import tarfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks.canary_tests import Canaries, plant
from benchmarks.protect import is_merged_manifest, is_runner_file
from benchmarks.task import Task
from kernel.git import GitError, git
from kernel.trees import copy_tree

RUNNER_FILES = Path(__file__).parent / "runner_files"
SANDBOX_UID = 1000  # the user the tests run as (sandbox/container.py)
SKIPPED_NAMES = {".git", "__pycache__", ".pytest_cache"}


class PatchRejected(Exception):
    """The patch cannot be graded (it does not apply, or it reaches what the grader owns)."""


@dataclass
class Staged:
    root: Path  # holds repo/ and grade/
    nonce: str
    canaries: Canaries | None

    @property
    def repo(self) -> Path:
        return self.root / "repo"


def stage(task: Task, patch: str, root: Path, prepare) -> Staged:
    """Build the graded tree for ``task`` with the (already cleaned) ``patch`` under ``root``.
    ``prepare(repo, task)`` is the runner's own preparation of the tree. Raises PatchRejected."""
    repo = root / "repo"
    copy_tree(task.repo_dir, repo)
    if patch.strip():
        _apply(repo, patch, root)
    _verify(task, repo)
    for name in task.deleted:
        _remove(repo / name)
    try:
        copy_tree(task.hidden_dir, repo)
    except (OSError, shutil.Error) as exc:
        raise PatchRejected(f"the patched tree conflicts with the task's tests: {exc}") from None
    prepare(repo, task)
    canaries = plant(task, repo)
    nonce = secrets.token_hex(16)
    return Staged(root, nonce, canaries)


def _apply(repo: Path, patch: str, root: Path) -> None:
    # The ceiling keeps git from taking a repository above the scratch folder for this one.
    try:
        git("apply", "--whitespace=nowarn", "-", cwd=repo, env={"GIT_CEILING_DIRECTORIES": str(root)},
            input=patch.encode("utf-8", "surrogateescape"))
    except GitError as exc:
        first = next((ln for ln in exc.stderr.splitlines() if ln.strip()), "")
        raise PatchRejected(f"patch does not apply: {first[:300]}") from None


def _walk(top: Path):
    """(relative posix path, path) of everything under ``top`` but version control and caches,
    iteratively (no recursion limit)."""
    stack = [top]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name in SKIPPED_NAMES:
                    continue
                path = Path(entry.path)
                yield path.relative_to(top).as_posix(), path
                if entry.is_dir(follow_symlinks=False):
                    stack.append(path)


def _verify(task: Task, repo: Path) -> None:
    """The patch parser and `git apply` could disagree on a crafted patch: check the result itself."""
    for rel, path in _walk(repo):
        original = task.repo_dir / rel
        if path.is_symlink() and not (original.is_symlink() and os.readlink(original) == os.readlink(path)):
            raise PatchRejected(f"the patch makes a symbolic link ({rel}), which the grader refuses")
        if (path.is_file() and not path.is_symlink() and is_runner_file(task.runner, rel)
                and not is_merged_manifest(task, rel) and not _same(original, path)):
            raise PatchRejected(f"the patch changes {rel}, which decides how the tests run")
    for rel, original in _walk(task.repo_dir):
        if is_runner_file(task.runner, rel) and original.is_file() and not (repo / rel).exists():
            raise PatchRejected(f"the patch removes {rel}, which decides how the tests run")


def _same(a: Path, b: Path) -> bool:
    try:
        return a.is_file() and a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()
    except OSError:
        return False


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def tar_staged(staged: Staged, runner_files: tuple[str, ...]) -> bytes:
    """The container's /repo (root-owned, read-only to the tests) and /grade, as one tar stream."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.addfile(_dir("repo", 0o1777))
        for rel, path in sorted(_walk(staged.repo)):
            _add(tar, f"repo/{rel}", path)
        tar.addfile(_dir("grade", 0o755))
        tar.addfile(_dir("grade/runner", 0o755))
        for name in runner_files:
            _add(tar, f"grade/runner/{name}", RUNNER_FILES / name)
        tar.addfile(_dir("grade/secret", 0o700, SANDBOX_UID))
        data = staged.nonce.encode()
        info = _info("grade/secret/nonce", tarfile.REGTYPE, 0o600, SANDBOX_UID)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _info(name: str, kind: bytes, mode: int, uid: int = 0) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.uid, info.gid = kind, mode, uid, uid
    info.uname = info.gname = ""
    return info


def _dir(name: str, mode: int, uid: int = 0) -> tarfile.TarInfo:
    return _info(name, tarfile.DIRTYPE, mode, uid)


def _add(tar: tarfile.TarFile, name: str, path: Path) -> None:
    st = path.lstat()
    if stat.S_ISLNK(st.st_mode):
        info = _info(name, tarfile.SYMTYPE, 0o777)
        info.linkname = os.readlink(path)
        tar.addfile(info)
    elif stat.S_ISDIR(st.st_mode):
        tar.addfile(_dir(name, 0o755))
    elif stat.S_ISREG(st.st_mode):
        info = _info(name, tarfile.REGTYPE, 0o755 if st.st_mode & 0o111 else 0o644)
        info.size = st.st_size
        with path.open("rb") as handle:
            tar.addfile(info, handle)
