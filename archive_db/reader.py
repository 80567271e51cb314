"""The one read-only reader of a run directory's archive: the dashboard's pages and the CLI's read
commands (`dgm status`, `dgm diff`, `dgm checkout`) use it.

A reader never writes a file of the run directory: no migration, no row, and not even SQLite's own
files. SQLite in WAL mode writes a reader's marks into ``archive.sqlite-shm`` and creates the -wal and
-shm files when they are missing, even for a ``mode=ro`` connection; that is how a dashboard's read
once made a run that ended long ago show "last activity: just now". So the reader opens the database
in the way that writes nothing for the state it finds (``open_mode``), and looks again whenever the
files change:

* ``immutable``: nobody holds the run's lock and the write-ahead log holds nothing (a finished,
  stopped or crashed run after its last connection closed): SQLite reads the main file and touches
  no other, takes no lock, and cannot see a writer, so its connections are dropped as soon as the
  files change.
* ``readonly_shm``: nobody holds the lock but a log with content is left (a killed run): the log is
  read through a read-only -shm (and heap memory), and nothing is written.
* ``ro``: a process holds the lock (a live run, which writes these files all the time anyway):
  ``mode=ro``, whose read marks keep the live writer from overwriting what a page is reading.

Queries select only the columns the database really has (an archive from an older dgm simply lacks
the newer ones) through SQLAlchemy Core over the ORM tables. Whole-run answers (the agents list, the
chart series) are cached under a signature made of the database files' sizes and modification times,
so a page polling a 5,000-agent run costs a few ``stat`` calls until the run writes something.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from sqlalchemy import DateTime, Engine, Table, and_, case, create_engine, false, func, select, text, true
from sqlalchemy.exc import DatabaseError
from sqlalchemy.pool import QueuePool
from sqlalchemy.sql.elements import ColumnElement

from archive_db.liveness import EVENTS, lock_holder
from archive_db.schema import AGENT_TREE_COLUMNS, Agent, Decision, Evaluation, ModelCall, Run
from kernel.errors import NotFoundError

T = TypeVar("T")

DB_NAME = "archive.sqlite"
# The agents list feeds the tree: the small columns of the covering index ix_agents_tree only.
AGENT_SUMMARY = tuple(c for c in AGENT_TREE_COLUMNS if c != "run_id")
EVALUATION_SUMMARY = ("id", "agent_id", "task_id", "stage", "resolved", "empty_patch", "duration_s", "error",
                      "agent_status", "patch_hash", "test_results_json", "exit_code", "grade_cached", "created_at",
                      "tampered", "canary", "agent_counts")
# Length columns and the texts they measure (archive_db.compressed: SQL cannot measure those texts).
MEASURED = {"patch_chars": "patch", "transcript_chars": "transcript_json"}
ISO_UTC = "%Y-%m-%dT%H:%M:%SZ"  # datetimes are stored as naive UTC; the API speaks ISO 8601 with a Z
URI_PARAMETERS = {"immutable": "immutable=1", "readonly_shm": "mode=ro&readonly_shm=1", "ro": "mode=ro"}
LATEST_DECISIONS = 20  # the decisions an agent page lists; the counts cover every one


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return None


def open_mode(run_dir: Path) -> str:
    """How to open the run's database without writing a file (see the module's docstring)."""
    db = Path(run_dir) / DB_NAME
    if lock_holder(run_dir) is not None:
        return "ro"
    if not _size(db.with_name(f"{DB_NAME}-wal")):
        return "immutable"
    # A log with content but no -shm (rare: a crash that lost only the -shm) needs one made: mode=ro.
    return "readonly_shm" if db.with_name(f"{DB_NAME}-shm").exists() else "ro"


class ArchiveReader:
    """The read-only queries over one run's archive, whatever database holds it. Subclasses say how to
    connect without writing (``_read``), when the archive changed (``signature``) and which run it is."""

    run_dir: Path | None
    run_id: int | None = None  # the run in a database of many; None: the newest (an SQLite file holds one)

    def __init__(self) -> None:
        self._columns: dict[str, set[str]] = {}
        self._cache: dict[str, tuple[str, Any]] = {}
        self._lock = threading.RLock()  # a summary is built from other cached answers

    def close(self) -> None:
        raise NotImplementedError

    def _read(self, query: Callable[[Any], T]) -> T:
        raise NotImplementedError

    def signature(self) -> str:
        """Changes whenever the run writes its archive."""
        raise NotImplementedError

    def last_activity(self) -> float | None:
        """When the run last wrote its archive or event log (seconds since the epoch), or None."""
        raise NotImplementedError

    def _table_columns(self, conn: Any, table: str) -> set[str]:
        raise NotImplementedError

    def _iso(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        """A datetime column as ISO 8601 UTC text, formatted by the database itself."""
        raise NotImplementedError

    def run(self) -> dict[str, Any] | None:
        """The run read (``run_id``, or the newest, as `dgm run` and `dgm status` use); None before one exists."""
        cols = self._present(Run.__table__)
        if not cols:
            return None
        stmt = select(*cols)
        stmt = stmt.where(Run.id == self.run_id) if self.run_id is not None else stmt.order_by(Run.id.desc()).limit(1)
        rows = self._rows(stmt)
        if not rows:
            return None
        # An archive from before migration 0006 recorded no recommendation: None, readers fall back.
        return {"best_agent_id": None, **rows[0], "policy": run_policy(rows[0].get("config_json"))}

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
        """The columns (of ``names``) the database has; datetimes formatted by the database itself,
        which is several times faster than parsing them into Python datetimes and back."""
        have = self._columns.get(table.name)
        if not have:  # unknown, or not created yet (a run still being set up): ask again next time
            have = self._columns[table.name] = self._read(lambda conn: self._table_columns(conn, table.name))
        return [self._iso(c).label(c.name) if isinstance(c.type, DateTime) else c
                for c in table.columns if c.name in have and (names is None or c.name in names)]

    def _sizes(self, table: Table) -> list[ColumnElement[Any]]:
        """The lengths of a table's long texts (``patch_chars``, ``transcript_chars``). Since migration
        0004 the texts may be stored compressed and their lengths are columns; an older archive's texts
        are all plain, so the database measures them."""
        have = {c.name for c in self._present(table)}
        return [table.c[size] if size in have else func.coalesce(func.length(table.c[text]), 0).label(size)
                for size, text in MEASURED.items() if text in table.c]

    def _rows(self, stmt: Any) -> list[dict[str, Any]]:
        def query(conn: Any) -> list[dict[str, Any]]:
            result = conn.execute(stmt)
            keys = list(result.keys())
            return [dict(zip(keys, row, strict=True)) for row in result]
        return self._read(query)

    def _scalar(self, stmt: Any) -> Any:
        return self._read(lambda conn: conn.execute(stmt).scalar())

    # -- agents --------------------------------------------------------------------------------
    def agents(self, run_id: int) -> list[dict[str, Any]]:
        cols = self._present(Agent.__table__, AGENT_SUMMARY)
        return self._rows(select(*cols).where(Agent.run_id == run_id).order_by(Agent.id))

    def agent(self, run_id: int | None, agent_id: int) -> dict[str, Any] | None:
        """One agent without its transcript (its length instead); ``run_id`` None: of any run."""
        cols = [c for c in self._present(Agent.__table__) if c.name not in ("transcript_json", *MEASURED)]
        stmt = select(*cols, *self._sizes(Agent.__table__)).where(Agent.id == agent_id)
        rows = self._rows(stmt if run_id is None else stmt.where(Agent.run_id == run_id))
        return rows[0] if rows else None

    def agent_transcript(self, run_id: int, agent_id: int) -> str | None:
        return self._scalar(select(Agent.transcript_json).where(Agent.run_id == run_id, Agent.id == agent_id))

    # -- the search policy ---------------------------------------------------------------------
    def agent_search(self, run_id: int, agent_id: int) -> dict[str, Any]:
        """What the search policy had of an agent: its own evaluations and passes, its clade's (the
        agent and every descendant), how often each kind of decision chose it, and its latest
        decisions. Cheating-canary evaluations never count."""
        return {**self._search_counts(run_id, agent_id), **self._agent_decisions(run_id, agent_id)}

    def _search_counts(self, run_id: int, agent_id: int) -> dict[str, int]:
        # UNION, not UNION ALL: a malformed cycle of parents ends instead of recursing forever.
        clade = select(Agent.id).where(Agent.run_id == run_id, Agent.id == agent_id).cte("clade", recursive=True)
        clade = clade.union(select(Agent.id).where(Agent.parent_id == clade.c.id))
        mine, passed = Evaluation.agent_id == agent_id, Evaluation.resolved == true()

        def tally(condition: ColumnElement[bool]) -> ColumnElement[int]:
            return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

        stmt = select(tally(mine), tally(and_(mine, passed)), func.count(), tally(passed)).where(
            Evaluation.agent_id.in_(select(clade.c.id)))
        if "canary" in {c.name for c in self._present(Evaluation.__table__)}:  # before migration 0005: none were
            stmt = stmt.where(Evaluation.canary == false())
        row = self._read(lambda conn: conn.execute(stmt).one())
        return dict(zip(("evaluations", "passes", "clade_evaluations", "clade_passes"), map(int, row), strict=True))

    def _agent_decisions(self, run_id: int, agent_id: int) -> dict[str, Any]:
        if not self._present(Decision.__table__):  # an archive from before migration 0006
            return {"chosen": {}, "decisions": []}
        about = (Decision.run_id == run_id, Decision.agent_id == agent_id)
        counts = select(Decision.kind, func.count()).where(*about).group_by(Decision.kind).order_by(Decision.kind)
        chosen = self._read(lambda conn: {kind: int(n) for kind, n in conn.execute(counts)})
        latest = self._rows(select(*self._present(Decision.__table__, ("kind", "rule", "detail_json", "created_at")))
                            .where(*about).order_by(Decision.id.desc()).limit(LATEST_DECISIONS))
        return {"chosen": chosen, "decisions": [{"kind": r["kind"], "rule": r["rule"], "detail": _detail(r["detail_json"]),
                                                 "created_at": r["created_at"]} for r in latest]}

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
        return self._scalar(select(Evaluation.transcript_json).where(Evaluation.agent_id == agent_id,
                                                                      Evaluation.id == evaluation_id))

    def count_tampered(self, run_id: int) -> int:
        """Evaluations of the run whose grade was tampered with (canary checks included); 0 for an
        archive from before migration 0005, which could not say."""
        if "tampered" not in {c.name for c in self._present(Evaluation.__table__)}:
            return 0
        stmt = (select(func.count()).select_from(Evaluation).join(Agent, Agent.id == Evaluation.agent_id)
                .where(Agent.run_id == run_id, Evaluation.tampered.is_not(None)))
        return int(self._scalar(stmt) or 0)

    # -- model calls and cost ------------------------------------------------------------------
    def calls(self, agent_id: int) -> list[dict[str, Any]]:
        cols = self._present(ModelCall.__table__)
        return self._rows(select(*cols).where(ModelCall.agent_id == agent_id).order_by(ModelCall.id))

    def cost_by_agent(self, run_id: int) -> dict[int | None, float]:
        """Dollars per agent from the recorded calls: the live spend, also of attempts still running."""
        stmt = (select(ModelCall.agent_id, func.sum(ModelCall.cost_usd))
                .where(ModelCall.run_id == run_id).group_by(ModelCall.agent_id))
        return self._read(lambda conn: {agent_id: float(total or 0.0) for agent_id, total in conn.execute(stmt)})

    def spent(self, run_id: int) -> float:
        """Dollars of every recorded call of the run."""
        stmt = select(func.coalesce(func.sum(ModelCall.cost_usd), 0.0)).where(ModelCall.run_id == run_id)
        return float(self._scalar(stmt) or 0.0)

    def call_count(self, run_id: int) -> int:
        return int(self._scalar(select(func.count()).select_from(ModelCall).where(ModelCall.run_id == run_id)) or 0)


def run_policy(config_json: str | None) -> str:
    """The search policy a run's config names (``loop.policy``); "dgm", the paper's, when it names none."""
    try:
        config = json.loads(config_json or "{}")
    except ValueError:
        return "dgm"
    loop = config.get("loop") if isinstance(config, dict) else None
    policy = loop.get("policy") if isinstance(loop, dict) else None
    return policy if isinstance(policy, str) and policy else "dgm"


def _detail(raw: str | None) -> dict[str, Any]:
    try:
        detail = json.loads(raw or "{}")
    except ValueError:
        return {}
    return detail if isinstance(detail, dict) else {}


class RunReader(ArchiveReader):
    """Queries over one run directory's SQLite file. Thread-safe; never writes, and opens no file but
    the run's own."""

    def __init__(self, run_dir: Path) -> None:
        super().__init__()
        self.run_dir = Path(run_dir)
        self.db_path = self.run_dir / DB_NAME
        self.mode: str | None = None
        self._engine: Engine | None = None
        self._engine_signature: str | None = None
        self._engine_lock = threading.Lock()

    def close(self) -> None:
        with self._engine_lock:
            if self._engine is not None:
                self._engine.dispose()
            self._engine, self._engine_signature, self.mode = None, None, None

    # -- opening without writing ---------------------------------------------------------------
    def _connect(self, mode: str) -> sqlite3.Connection:
        uri = f"file:{quote(str(self.db_path))}?{URI_PARAMETERS[mode]}"
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=10)
        conn.execute("PRAGMA query_only=ON")  # whatever a query does, this connection cannot write
        return conn

    def _current(self) -> tuple[Engine, str, str]:
        """The engine for the files as they are now, their signature and the open mode. Decided again
        whenever the files change; an immutable engine is never used past a change (it cannot see one)."""
        signature = self.signature()
        with self._engine_lock:
            changed = signature != self._engine_signature
            # A live run's process may end without writing again: while it held the lock, ask each time.
            if self._engine is None or changed or self.mode == "ro":
                mode = open_mode(self.run_dir)
                if self._engine is None or mode != self.mode or (mode == "immutable" and changed):
                    if self._engine is not None:
                        self._engine.dispose()
                    self._engine = create_engine("sqlite://", creator=lambda: self._connect(mode), poolclass=QueuePool,
                                                 pool_size=4, max_overflow=8)
                    self.mode = mode
                self._engine_signature = signature
            return self._engine, signature, self.mode

    @property
    def engine(self) -> Engine:
        return self._current()[0]

    def _read(self, query: Callable[[Any], T]) -> T:
        """``query(connection)``, asked again once when the files changed under it (an immutable
        connection cannot see a writer; a connection may fail while a writer starts or ends)."""
        engine, signature, mode = self._current()
        try:
            with engine.connect() as conn:
                result = query(conn)
        except DatabaseError:
            if self.signature() == signature:
                raise
        else:
            if mode != "immutable" or self.signature() == signature:
                return result
        with self._current()[0].connect() as conn:
            return query(conn)

    # -- change detection ----------------------------------------------------------------------
    def signature(self) -> str:
        """Changes whenever the run writes its database (main file or write-ahead log)."""
        parts = []
        for path in (self.db_path, self.db_path.with_name(f"{DB_NAME}-wal")):
            try:
                st = path.stat()
                parts.append(f"{st.st_mtime_ns:x}.{st.st_size:x}")
            except FileNotFoundError:
                parts.append("0")
        return "-".join(parts)

    def last_activity(self) -> float | None:
        """When the run last wrote its archive or event log (seconds since the epoch), or None. An
        empty write-ahead log holds no write (a connection made it), so its time does not count."""
        times = []
        for name in (DB_NAME, f"{DB_NAME}-wal", EVENTS):
            try:
                st = (self.run_dir / name).stat()
            except FileNotFoundError:
                continue
            if st.st_size or name == DB_NAME:
                times.append(st.st_mtime)
        return max(times) if times else None

    def _table_columns(self, conn: Any, table: str) -> set[str]:
        return {r[1] for r in conn.execute(text(f"PRAGMA table_info({table})")).all()}

    def _iso(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        return func.strftime(ISO_UTC, column)


def open_run(run_dir: Path, db_url: str | None = None) -> ArchiveReader:
    """A reader of the run in ``run_dir`` (the CLI's read commands): its SQLite file, or the server
    database its database.json (or ``db_url``) names. NotFoundError when there is no run to read."""
    from archive_db.location import locate_existing
    from archive_db.server_reader import ServerRunReader

    where = locate_existing(run_dir, db_url)
    if not where.is_sqlite:
        return ServerRunReader(where.url, where.run_id, Path(run_dir) if Path(run_dir).is_dir() else None)
    path = Path(where.url.removeprefix("sqlite:///"))
    if path.name != DB_NAME:
        raise NotFoundError(f"{path}: an SQLite archive is read in its run directory, as {DB_NAME}")
    return RunReader(path.parent)
