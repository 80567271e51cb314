"""Agents as git commits: the seed is the root commit, each child a commit on top of its parent's.

One bare repository per run (``RUN_DIR/agents.git``). Each agent's commit is pinned by a ref
``refs/agents/<id>`` so nothing is garbage-collected. Commits are written with plumbing and a
private index file per call, so parallel workers never share a work tree or an index.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
import threading
from pathlib import Path

import git
from unidiff import PatchSet

from dgm.errors import NotFoundError
from dgm.patches import GIT_ENV, copy_tree

SEED_DIR = Path(__file__).parent / "seed_agent"


class AgentRepo:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not (self.path / "HEAD").exists():
            git.Repo.init(self.path, bare=True)
        self.repo = git.Repo(self.path)
        self._lock = threading.Lock()

    def _git(self, *args: str, env: dict[str, str] | None = None) -> str:
        return self.repo.git.execute(["git", "-c", "core.hooksPath=/dev/null", *args], env={**GIT_ENV, **(env or {})})

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

    def pin(self, agent_id: int, commit: str) -> None:
        with self._lock:
            self._git("update-ref", f"refs/agents/{agent_id}", commit)

    def add_seed(self, seed_dir: Path = SEED_DIR) -> str:
        return self.commit_tree(seed_dir, None, "seed agent")

    def export(self, commit: str, dest: Path) -> Path:
        """Write the files of ``commit`` into ``dest`` (one step to check out any agent)."""
        self._resolve(commit)
        dest.mkdir(parents=True, exist_ok=True)
        # Raw bytes through subprocess: GitPython would strip a trailing newline off binary output.
        archive = subprocess.run(["git", "archive", "--format=tar", commit], cwd=self.path, env=GIT_ENV,
                                 capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(dest, filter="data")
        return dest

    def diff(self, a: str, b: str) -> str:
        self._resolve(a)
        self._resolve(b)
        out = self._git("diff", "--no-color", "--no-ext-diff", a, b)
        return out + "\n" if out else ""  # GitPython strips the final newline a patch needs

    def changed_files(self, a: str, b: str) -> list[str]:
        return [f.path for f in PatchSet(self.diff(a, b))]

    def _resolve(self, commit: str) -> None:
        try:
            self._git("cat-file", "-e", f"{commit}^{{commit}}")
        except git.GitCommandError:
            raise NotFoundError(f"commit {commit} is not in {self.path}") from None
