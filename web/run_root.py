"""Where the dashboard finds runs: the run directories under one run root (`dgm serve --run-root`),
found by listing it ourselves, or the runs of one database server (`dgm serve --db-url`).

A run is named by its folder's name (or ``run-<id>`` in a database). Request text is only ever
*compared* with the names we listed, never joined into a path, so no URL can reach a file outside a
run directory.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from archive_db.location import DATABASE_FILE, SQLITE_FILE, holds_run, recorded, same_database
from archive_db.reader import ArchiveReader, RunReader
from archive_db.server_reader import ServerRunReader
from kernel.errors import DgmError

RUN_FILES = (SQLITE_FILE, DATABASE_FILE, "events.jsonl", "agents.git")


@dataclass(frozen=True)
class RunEntry:
    name: str
    path: Path | None  # the run directory, when it is on this machine (code, events, liveness)
    run_id: int | None = None  # in a database of many runs


def _inside(path: Path, folder: Path) -> bool:
    """False for a link (or a link's target) leading out of ``folder``."""
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


class _Source:
    """What both sources share: a name is matched against the listed runs, and each run's reader is
    made once and kept until the app closes."""

    def __init__(self) -> None:
        self._readers: dict[object, ArchiveReader] = {}
        self._lock = threading.Lock()

    def entries(self) -> list[RunEntry]:
        raise NotImplementedError

    def find(self, name: str) -> RunEntry | None:
        return next((e for e in self.entries() if e.name == name), None)

    def _reader(self, key: object, make: Callable[[], ArchiveReader]) -> ArchiveReader:
        with self._lock:
            if key not in self._readers:
                self._readers[key] = make()
            return self._readers[key]

    def close(self) -> None:
        with self._lock:
            for reader in self._readers.values():
                reader.close()
            self._readers.clear()


class RunRoot(_Source):
    """The run directories directly under ``root``: their own SQLite file, or the server database
    their database.json names."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = Path(root).resolve()

    def entries(self) -> list[RunEntry]:
        """Folders directly under the root that hold a run, sorted by name."""
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.iterdir():
            if path.is_dir() and holds_run(path) and all(_inside(path / f, path) for f in RUN_FILES):
                found.append(RunEntry(path.name, path))
        return sorted(found, key=lambda e: e.name)

    def reader(self, entry: RunEntry) -> ArchiveReader:
        path = entry.path
        assert path is not None
        return self._reader(path, lambda: _dir_reader(path))


def _dir_reader(path: Path) -> ArchiveReader:
    try:
        where = recorded(path)
    except DgmError:
        where = None  # a damaged database.json: read as an empty run directory (no archive.sqlite)
    return ServerRunReader(where.url, where.run_id, path) if where else RunReader(path)


class DatabaseRuns(_Source):
    """Every run of one server database. A run's directory is used for its code, events and liveness
    when it is on this machine and names this database and run (its database.json); otherwise the
    pages show what the database holds."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self._index = ServerRunReader(url, None)

    def entries(self) -> list[RunEntry]:
        out = []
        for run in self._index.cached("runs", self._index.runs):
            run_id = int(run["id"])
            out.append(RunEntry(f"run-{run_id}", self._local_dir(run_id, run.get("config_json")), run_id))
        return sorted(out, key=lambda e: e.run_id or 0)

    def _local_dir(self, run_id: int, config_json: str | None) -> Path | None:
        try:
            path = Path(json.loads(config_json or "{}").get("run_dir") or "")
            where = recorded(path) if str(path) not in ("", ".") and path.is_dir() else None
        except (ValueError, AttributeError, TypeError, OSError, DgmError):
            return None
        return path.resolve() if where and where.run_id == run_id and same_database(where.url, self.url) else None

    def reader(self, entry: RunEntry) -> ArchiveReader:
        assert entry.run_id is not None
        return self._reader(entry.run_id, lambda: ServerRunReader(self.url, entry.run_id, entry.path))

    def close(self) -> None:
        super().close()
        self._index.close()


RunSource = RunRoot | DatabaseRuns
