"""The one way dgm calls git: a subprocess with hooks off, no user or system configuration, no pager
and a deterministic identity, whoever calls it (the agents' repository, tree diffs, the grader's
`git apply`, SWE-bench's mirrors, the dashboard's diffs and downloads).

Callers add to the environment, never replace it: ``GIT_INDEX_FILE``/``GIT_WORK_TREE`` for a
throwaway index, ``GIT_DIR`` for a bare repository, ``GIT_CEILING_DIRECTORIES`` where a scratch
folder may sit inside a user's repository (git must not take that one for ours), and
``FOREIGN_REPO_ENV`` for repositories we did not create.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from pathlib import Path

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
# Repositories we did not create (a user's clone, our SWE-bench mirrors): any owner is fine (git
# refuses "dubious ownership" otherwise), and nothing may prompt for credentials.
FOREIGN_REPO_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "safe.directory",
                    "GIT_CONFIG_VALUE_0": "*"}
NO_HOOKS = ("-c", "core.hooksPath=/dev/null")


class GitError(RuntimeError):
    """git exited non-zero; ``stderr`` is what it said."""

    def __init__(self, command: str, stderr: str) -> None:
        super().__init__(f"git {command} failed: {stderr.strip()[:500]}")
        self.stderr = stderr


class GitOutputTooLarge(Exception):
    """git's output passed the bound given to ``git_bounded``; it was read no further."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"git's output is longer than {limit} bytes")
        self.limit = limit


def git_env(env: dict[str, str] | None = None) -> dict[str, str]:
    return {**GIT_ENV, **(env or {})}


def git_bytes(*args: str, cwd: Path, env: dict[str, str] | None = None, input: bytes | None = None,
              timeout: float | None = None) -> bytes:
    """git's standard output, raw (archives, patches with any bytes). Raises GitError."""
    proc = subprocess.run(["git", *NO_HOOKS, *args], cwd=cwd, env=git_env(env), input=input, capture_output=True,
                          timeout=timeout)
    if proc.returncode != 0:
        raise GitError(args[0], proc.stderr.decode(errors="replace"))
    return proc.stdout


def git(*args: str, cwd: Path, env: dict[str, str] | None = None, input: bytes | None = None,
        timeout: float | None = None, errors: str = "replace") -> str:
    """git's standard output as text (UTF-8; ``errors`` says what becomes of other bytes)."""
    return git_bytes(*args, cwd=cwd, env=env, input=input, timeout=timeout).decode("utf-8", errors)


def git_bounded(*args: str, cwd: Path, max_bytes: int, env: dict[str, str] | None = None, errors: str = "replace") -> str:
    """git's output, read no further than ``max_bytes`` (a 181 MB patch was read whole before).
    Raises GitOutputTooLarge past it, GitError when git fails."""
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(["git", *NO_HOOKS, *args], cwd=cwd, env=git_env(env), stdout=subprocess.PIPE,
                                stderr=stderr)
        assert proc.stdout is not None
        out = bytearray()
        try:
            while chunk := proc.stdout.read(1024 * 1024):
                out += chunk
                if len(out) > max_bytes:
                    proc.kill()
                    raise GitOutputTooLarge(max_bytes)
        finally:
            proc.stdout.close()
            proc.wait()
        if proc.returncode != 0:
            stderr.seek(0)
            raise GitError(args[0], stderr.read().decode(errors="replace"))
    return out.decode("utf-8", errors)


def extract_commit(git_dir: Path, commit: str, dest: Path) -> Path:
    """Write the files of ``commit`` (in the repository at ``git_dir``) into ``dest``: git archive,
    unpacked with tarfile's data filter. Reads objects only."""
    archive = git_bytes("archive", "--format=tar", commit, cwd=git_dir)
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def pack_commits(git_dir: Path, commits: list[str]) -> bytes:
    """A pack of every object ``commits`` reach (their history included): what another machine needs to
    read those commits with no access to this repository. Reads objects only."""
    return git_bytes("pack-objects", "--revs", "--stdout", "-q", cwd=git_dir, input="".join(f"{c}\n" for c in commits).encode())


def unpack_commits(git_dir: Path, pack: bytes) -> None:
    """Store a pack from ``pack_commits`` in the repository at ``git_dir`` (a bare one, made if absent)."""
    if not (git_dir / "HEAD").exists():
        git_dir.mkdir(parents=True, exist_ok=True)
        git("init", "-q", "--bare", str(git_dir), cwd=git_dir)
    git_bytes("index-pack", "--stdin", cwd=git_dir, input=pack)
