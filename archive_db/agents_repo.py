"""Agents as git commits: the seed is the root commit, each child a commit on top of its parent's.

One bare repository per run (``RUN_DIR/agents.git``), part of the run's archive. Each agent's commit
is pinned by a ref ``refs/agents/<id>`` so nothing is garbage-collected. Commits are written with
plumbing and a private index file per call, so parallel workers never share a work tree or an index.
Readers (the dashboard, `dgm diff`, `dgm checkout`) open it with ``create=False`` and only ever ask
git for objects: diffs, archives, existence checks.
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

from unidiff import PatchSet

from kernel.errors import NotFoundError
from kernel.git import GitError, extract_commit, git, git_bytes
from kernel.trees import copy_tree

ARCHIVE_TIMEOUT_S = 120  # a download of one agent's code


class AgentRepo:
    def __init__(self, path: Path, create: bool = True) -> None:
        """The repository at ``path``, created (bare) when missing unless ``create`` is False, when a
        missing one is a NotFoundError."""
        self.path = Path(path)
        if not (self.path / "HEAD").exists():
            if not create:
                raise NotFoundError(f"{self.path} holds no agents repository")
            self.path.mkdir(parents=True, exist_ok=True)
            self._git("init", "-q", "--bare")
        self._lock = threading.Lock()

    def _git(self, *args: str, env: dict[str, str] | None = None, input: bytes | None = None) -> str:
        # Bytes that are not UTF-8 survive as surrogates (what an agent commits is any bytes).
        return git(*args, cwd=self.path, env=env, input=input, errors="surrogateescape")

    def commit_tree(self, tree_dir: Path, parent: str | None, message: str) -> str:
        """Commit the contents of ``tree_dir`` (its .git, caches excluded) on top of ``parent``."""
        with tempfile.TemporaryDirectory(prefix="dgm-commit-") as tmp:
            work = Path(tmp) / "tree"
            copy_tree(tree_dir, work)
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index"), "GIT_WORK_TREE": str(work)}
            self._git("add", "-A", "-f", ".", env=env)
            tree = self._git("write-tree", env=env).strip()
        args = ["commit-tree", tree, "-m", message] + (["-p", parent] if parent else [])
        return self._git(*args).strip()

    def commit_patch(self, parent: str, patch: str, message: str) -> str:
        """Commit ``parent``'s tree with ``patch`` applied (a diff_trees(..., binary=True) of it), on
        top of ``parent``, without checking anything out: the patch goes into a private index."""
        self._resolve(parent)
        with tempfile.TemporaryDirectory(prefix="dgm-commit-") as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            self._git("read-tree", parent, env=env)
            git_bytes("apply", "--cached", "--binary", "--whitespace=nowarn", "-", cwd=self.path, env=env,
                      input=patch.encode("utf-8", "surrogateescape"))
            tree = self._git("write-tree", env=env).strip()
        return self._git("commit-tree", tree, "-p", parent, "-m", message).strip()

    def pin(self, agent_id: int, commit: str) -> None:
        with self._lock:
            self._git("update-ref", f"refs/agents/{agent_id}", commit)

    def trees(self, commits: list[str]) -> dict[str, str]:
        """Each commit's tree id: equal trees are byte-for-byte equal code. One git process for any number."""
        if not commits:
            return {}
        out = self._git("cat-file", "--batch-check=%(objectname)",
                        input="".join(f"{c}^{{tree}}\n" for c in commits).encode()).split()
        if len(out) != len(commits) or any(t.endswith("missing") for t in out):
            raise NotFoundError(f"a commit of {commits[:3]}... is not in {self.path}")
        return dict(zip(commits, out, strict=True))

    def export(self, commit: str, dest: Path) -> Path:
        """Write the files of ``commit`` into ``dest`` (one step to check out any agent)."""
        self._resolve(commit)
        return extract_commit(self.path, commit, dest)

    def tarball(self, commit: str, prefix: str) -> bytes:
        """The files of ``commit`` as .tar.gz under ``prefix/`` (git archive reads objects only)."""
        return git_bytes("archive", "--format=tar.gz", f"--prefix={prefix}/", commit, cwd=self.path,
                         timeout=ARCHIVE_TIMEOUT_S)

    def diff(self, a: str, b: str) -> str:
        self._resolve(a)
        self._resolve(b)
        return self._git("diff", "--no-color", "--no-ext-diff", a, b)

    def changed_files(self, a: str, b: str) -> list[str]:
        return [f.path for f in PatchSet(self.diff(a, b))]

    def _resolve(self, commit: str) -> None:
        try:
            self._git("cat-file", "-e", f"{commit}^{{commit}}")
        except GitError:
            raise NotFoundError(f"commit {commit} is not in {self.path}") from None
