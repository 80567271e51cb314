"""The run directories under one run root, found by listing it ourselves.

A run is named by its folder's name. Request text is only ever *compared* with the names we
listed, never joined into a path, so no URL can reach a file outside a run directory.
"""

from __future__ import annotations

import threading
from pathlib import Path

from archive_db.reader import RunReader

RUN_FILES = ("archive.sqlite", "events.jsonl", "agents.git")


def _inside(path: Path, folder: Path) -> bool:
    """False for a link (or a link's target) leading out of ``folder``."""
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


class RunRoot:
    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self._readers: dict[Path, RunReader] = {}
        self._lock = threading.Lock()

    def dirs(self) -> list[Path]:
        """Folders directly under the root that hold an archive, sorted by name."""
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.iterdir():
            db = path / "archive.sqlite"
            if path.is_dir() and db.is_file() and all(_inside(path / f, path) for f in RUN_FILES):
                found.append(path)
        return sorted(found, key=lambda p: p.name)

    def find(self, name: str) -> Path | None:
        return next((p for p in self.dirs() if p.name == name), None)

    def reader(self, path: Path) -> RunReader:
        with self._lock:
            if path not in self._readers:
                self._readers[path] = RunReader(path)
            return self._readers[path]

    def close(self) -> None:
        with self._lock:
            for reader in self._readers.values():
                reader.close()
            self._readers.clear()
