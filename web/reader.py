"""Read-only access to one run directory's archive.sqlite, shaped for the dashboard's pages.

The dashboard must never write to a run that a `dgm run` process may be writing: no migrations, no
rows (SQLite itself keeps its shared-memory index beside a WAL database, as for any reader). So
instead of ``archive_db.Archive`` (which upgrades the schema when it opens) we open SQLite with
``mode=ro`` and query the ORM tables with SQLAlchemy Core, selecting only the columns the database
really has (an archive from an older dgm simply lacks the newer ones).

Whole-run answers (the agents list, the chart series) are cached under a signature made of the
database files' sizes and modification times, so a page polling a 5,000-agent run costs three
``stat`` calls until the run writes something.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any, Callable, TypeVar
from urllib.parse import quote

from sqlalchemy import DateTime, Table, create_engine, func, select, text
from sqlalchemy.pool import QueuePool
from sqlalchemy.sql.elements import ColumnElement

from archive_db.schema import AGENT_TREE_COLUMNS, Agent, Evaluation, ModelCall, Run

T = TypeVar("T")

# The agents list feeds the tree: the small columns of the covering index ix_agents_tree only.
AGENT_SUMMARY = tuple(c for c in AGENT_TREE_COLUMNS if c != "run_id")
EVALUATION_SUMMARY = ("id", "agent_id", "task_id", "stage", "resolved", "empty_patch", "duration_s", "error",
                      "agent_status", "patch_hash", "test_results_json", "exit_code", "grade_cached", "created_at",
                      "tampered", "canary")
# Length columns and the texts they measure (archive_db.compressed: SQL cannot measure those texts).
MEASURED = {"patch_chars": "patch", "transcript_chars": "transcript_json"}
ISO_UTC = "%Y-%m-%dT%H:%M:%SZ"  # datetimes are stored as naive UTC; the API speaks ISO 8601 with a Z


class RunReader:
    """Queries over one run directory. Thread-safe; every method opens no file but the run's own."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.db_path = run_dir / "archive.sqlite"
        self.engine = create_engine("sqlite://", creator=self._connect, poolclass=QueuePool, pool_size=4, max_overflow=8)
        self._columns: dict[str, set[str]] = {}
        self._cache: dict[str, tuple[str, Any]] = {}
        self._lock = threading.RLock()  # a summary is built from other cached answers

    def _connect(self) -> sqlite3.Connection:
        # mode=ro: this process can never write the archive, whatever a query does.
        conn = sqlite3.connect(f"file:{quote(str(self.db_path))}?mode=ro", uri=True, check_same_thread=False, timeout=10)
        conn.execute("PRAGMA query_only=ON")
        return conn

    def close(self) -> None:
        self.engine.dispose()

    # -- change detection ----------------------------------------------------------------------
    def signature(self) -> str:
        """Changes whenever the run writes its database (main file or write-ahead log)."""
        parts = []
        for path in (self.db_path, self.db_path.with_name("archive.sqlite-wal")):
            try:
                st = path.stat()
                parts.append(f"{st.st_mtime_ns:x}.{st.st_size:x}")
            except FileNotFoundError:
                parts.append("0")
        return "-".join(parts)

    def cached(self, key: str, compute: Callable[[], T]) -> T:
        sig = self.signature()
        hit = self._cache.get(key)
        if hit is not None and hit[0] == sig:
            return hit[1]
        with self._lock:  # one computation per change, however many pages poll at once
            hit = self._cache.get(key)
            if hit is not None and hit[0] == sig:
                return hit[1]
            value = compute()
            self._cache[key] = (sig, value)
            return value

    # -- schema tolerance ----------------------------------------------------------------------
    def _present(self, table: Table, names: tuple[str, ...] | None = None) -> list[ColumnElement[Any]]:
        """The columns (of ``names``) the database has; datetimes formatted by SQLite itself, which
        is several times faster than parsing them into Python datetimes and back."""
        have = self._columns.get(table.name)
        if not have:  # unknown, or not created yet (a run still being set up): ask again next time
            with self.engine.connect() as conn:
                rows = conn.execute(text(f"PRAGMA table_info({table.name})")).all()
            have = self._columns[table.name] = {r[1] for r in rows}
        return [func.strftime(ISO_UTC, c).label(c.name) if isinstance(c.type, DateTime) else c
                for c in table.columns if c.name in have and (names is None or c.name in names)]

    def _sizes(self, table: Table) -> list[ColumnElement[Any]]:
        """The lengths of a table's long texts (``patch_chars``, ``transcript_chars``). Since migration
        0004 the texts may be stored compressed and their lengths are columns; an older archive's texts
        are all plain, so SQLite measures them."""
        have = {c.name for c in self._present(table)}
        return [table.c[size] if size in have else func.coalesce(func.length(table.c[text]), 0).label(size)
                for size, text in MEASURED.items() if text in table.c]

    def _rows(self, stmt: Any) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            result = conn.execute(stmt)
            keys = list(result.keys())
            return [dict(zip(keys, row)) for row in result]

    # -- runs ----------------------------------------------------------------------------------
    def run(self) -> dict[str, Any] | None:
        """The run this directory holds (the latest, as `dgm run` and `dgm status` use)."""
        cols = self._present(Run.__table__)
        if not cols:
            return None
        rows = self._rows(select(*cols).order_by(Run.id.desc()).limit(1))
        return rows[0] if rows else None

    # -- agents --------------------------------------------------------------------------------
    def agents(self, run_id: int) -> list[dict[str, Any]]:
        cols = self._present(Agent.__table__, AGENT_SUMMARY)
        return self._rows(select(*cols).where(Agent.run_id == run_id).order_by(Agent.id))

    def agent(self, run_id: int, agent_id: int) -> dict[str, Any] | None:
        cols = [c for c in self._present(Agent.__table__) if c.name not in ("transcript_json", *MEASURED)]
        rows = self._rows(select(*cols, *self._sizes(Agent.__table__)).where(Agent.run_id == run_id, Agent.id == agent_id))
        return rows[0] if rows else None

    def agent_transcript(self, run_id: int, agent_id: int) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(Agent.transcript_json).where(Agent.run_id == run_id, Agent.id == agent_id)).scalar()

    # -- evaluations ---------------------------------------------------------------------------
    def evaluations(self, agent_ids: list[int]) -> list[dict[str, Any]]:
        cols = self._present(Evaluation.__table__, EVALUATION_SUMMARY)
        sizes = self._sizes(Evaluation.__table__)
        return self._rows(select(*cols, *sizes).where(Evaluation.agent_id.in_(agent_ids)).order_by(Evaluation.id))

    def evaluation(self, agent_id: int, evaluation_id: int) -> dict[str, Any] | None:
        cols = [c for c in self._present(Evaluation.__table__) if c.name not in ("transcript_json", *MEASURED)]
        rows = self._rows(select(*cols).where(Evaluation.agent_id == agent_id, Evaluation.id == evaluation_id))
        return rows[0] if rows else None

    def evaluation_transcript(self, agent_id: int, evaluation_id: int) -> str | None:
        stmt = select(Evaluation.transcript_json).where(Evaluation.agent_id == agent_id, Evaluation.id == evaluation_id)
        with self.engine.connect() as conn:
            return conn.execute(stmt).scalar()

    # -- model calls and cost ------------------------------------------------------------------
    def calls(self, agent_id: int) -> list[dict[str, Any]]:
        return self._rows(select(*self._present(ModelCall.__table__)).where(ModelCall.agent_id == agent_id).order_by(ModelCall.id))

    def cost_by_agent(self, run_id: int) -> dict[int | None, float]:
        """Dollars per agent from the recorded calls: the live spend, also of attempts still running."""
        stmt = (select(ModelCall.agent_id, func.sum(ModelCall.cost_usd))
                .where(ModelCall.run_id == run_id).group_by(ModelCall.agent_id))
        with self.engine.connect() as conn:
            return {agent_id: float(total or 0.0) for agent_id, total in conn.execute(stmt)}

    def call_count(self, run_id: int) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(ModelCall).where(ModelCall.run_id == run_id)).scalar() or 0)
