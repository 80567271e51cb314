"""What makes a run directory safe to continue after a crash, a kill -9 or a power cut.

Only one process may work on a run at a time (an exclusive lock the kernel drops when the process
dies, however it dies). Before a run (re)starts we repair what a kill can leave half-done outside
the archive's transactions: a partly written last line of events.jsonl, git lock files in
agents.git, and scratch folders under work/. The archive itself needs no repair: every step is one
SQLite transaction.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

# The lock's name is shared with its reader (archive_db.liveness.lock_holder, which moved there).
from archive_db.liveness import LOCK_NAME
from kernel.errors import DgmError
from kernel.trees import remove_tree


@dataclass
class RunLock:
    """An exclusive advisory lock on RUN_DIR/run.lock, holding the owner's pid for `dgm status`."""

    run_dir: Path
    _file: IO[str] | None = field(default=None, init=False)

    def acquire(self) -> RunLock:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        handle = open(self.run_dir / LOCK_NAME, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "another process"
            handle.close()
            raise DgmError(f"{self.run_dir} is in use by a running dgm (pid {owner}); stop it first") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle
        return self

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def repair(run_dir: Path) -> list[str]:
    """Undo what a killed process left half-done outside the archive. Returns what was repaired.
    Call only while holding the run's lock."""
    repaired: list[str] = []
    events = run_dir / "events.jsonl"
    if events.exists() and events.stat().st_size:
        with open(events, "rb+") as log:
            data = log.read()
            if not data.endswith(b"\n"):  # a line cut off mid-write: drop it, keep every whole one
                log.truncate(data.rfind(b"\n") + 1)
                repaired.append("dropped a partly written last line of events.jsonl")
    git_dir = run_dir / "agents.git"
    if git_dir.is_dir():
        for lock in [*git_dir.glob("*.lock"), *git_dir.glob("refs/**/*.lock")]:
            lock.unlink(missing_ok=True)
            repaired.append(f"removed stale git lock {lock.relative_to(run_dir)}")
    work = run_dir / "work"
    if work.is_dir() and any(work.iterdir()):
        remove_tree(work)  # whatever a container left there: shutil.rmtree recurses, and gave up silently
        repaired.append("removed leftover scratch folders in work/")
    return repaired
