"""The read-only reader of a run whose archive is on a database server (PostgreSQL), for the
dashboard and the CLI's read commands, beside reader.py's SQLite reader.

Every connection is opened read-only (``default_transaction_read_only``), so no query of a page can
write whatever it does, and the reader never migrates. Whole-run answers are cached under the
server's write-ahead-log position, which moves with every committed write: a page polling a finished
run costs one tiny query until something is written.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.sql.elements import ColumnElement

from archive_db.liveness import EVENTS
from archive_db.location import driver_url, public_url
from archive_db.reader import ArchiveReader
from archive_db.schema import Agent, Evaluation, ModelCall, Run
from kernel.errors import DgmError

T = TypeVar("T")
PG_ISO_UTC = 'YYYY-MM-DD"T"HH24:MI:SS"Z"'  # datetimes are stored as naive UTC


class ServerRunReader(ArchiveReader):
    """Queries over one run (``run_id``; None: the newest) of a server database. Thread-safe."""

    def __init__(self, url: str, run_id: int | None, run_dir: Path | None = None) -> None:
        super().__init__()
        self.url, self.run_id, self.run_dir = url, run_id, run_dir
        self.engine = create_engine(driver_url(url), pool_pre_ping=True, pool_size=4, max_overflow=8,
                                    connect_args={"options": "-c default_transaction_read_only=on", "connect_timeout": 10})
        self._lsn = self.engine.dialect.name == "postgresql"

    def close(self) -> None:
        self.engine.dispose()

    def _read(self, query: Callable[[Any], T]) -> T:
        try:
            with self.engine.connect() as conn:
                return query(conn)
        except OperationalError as exc:  # the server is down or refuses us: one line, no password
            raise DgmError(f"cannot read the archive at {public_url(self.url)}: {_first_line(exc)}") from None

    def signature(self) -> str:
        if not self._lsn:
            return f"t{int(time.time())}"  # another server: answers are at most a second old
        try:
            return str(self._read(lambda conn: conn.execute(text("SELECT pg_current_wal_lsn()")).scalar()))
        except DBAPIError:  # a server that hides its log position from us (a replica, a locked-down role)
            self._lsn = False
            return self.signature()

    def last_activity(self) -> float | None:
        run = self.run()
        if run is None:
            return None
        run_id = int(run["id"])
        newest = [select(func.max(Run.updated_at)).where(Run.id == run_id),
                  select(func.max(Agent.created_at)).where(Agent.run_id == run_id),
                  select(func.max(ModelCall.created_at)).where(ModelCall.run_id == run_id),
                  select(func.max(Evaluation.created_at)).join(Agent, Agent.id == Evaluation.agent_id)
                  .where(Agent.run_id == run_id)]
        times = [when.replace(tzinfo=UTC).timestamp() for stmt in newest if (when := self._scalar(stmt)) is not None]
        if self.run_dir is not None:  # the event log, when the run directory is on this machine
            try:
                times.append((Path(self.run_dir) / EVENTS).stat().st_mtime)
            except OSError:
                pass
        return max(times) if times else None

    def _table_columns(self, conn: Any, table: str) -> set[str]:
        inspector = inspect(conn)
        return {c["name"] for c in inspector.get_columns(table)} if inspector.has_table(table) else set()

    def _iso(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        return func.to_char(column, PG_ISO_UTC)

    def runs(self) -> list[dict[str, Any]]:
        """Every run of the database (id, name, status, config), newest first: `dgm serve --db-url`."""
        cols = [c for c in self._present(Run.__table__) if c.name in ("id", "name", "status", "config_json")]
        return self._rows(select(*cols).order_by(Run.id.desc())) if cols else []


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return lines[0][:300] if lines else type(orig).__name__
