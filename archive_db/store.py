"""The Archive: a thin, transactional API over the tables. Each method is one transaction."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, func, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker

from archive_db.location import driver_url, is_sqlite, locate_existing, public_url, sqlite_url
from archive_db.schema import MEASURED, Agent, Base, Decision, Evaluation, ModelCall, Run, utcnow
from kernel.errors import DgmError, NotFoundError

MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T", bound=Base)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets `dgm status` read while a run writes; busy_timeout makes parallel workers wait
    # for the write lock instead of failing; foreign keys keep the lineage tree consistent.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def make_engine(url: str) -> Engine:
    url = driver_url(url)
    if is_sqlite(url):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(connection: Any) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)


def downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), revision)


class Archive:
    """Runs, agents, evaluations and model calls of one database (by default one run directory)."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(url)
        try:
            upgrade(self.engine)
        except OperationalError as exc:
            if is_sqlite(url):
                raise
            # A server that is down or refuses us: one line, and never the password.
            reason = (str(getattr(exc, "orig", exc)).strip().splitlines() or ["unreachable"])[0][:300]
            raise DgmError(f"cannot open the archive at {public_url(url)}: {reason}") from None
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer; serialising our own writes avoids busy-wait storms between workers.
        self._write_lock = threading.Lock()

    @classmethod
    def in_dir(cls, run_dir: Path) -> Archive:
        return cls(sqlite_url(run_dir))

    def close(self) -> None:
        self.engine.dispose()

    # -- generic helpers -------------------------------------------------------------------
    def _add(self, row: T) -> T:
        with self._write_lock, self._sessions.begin() as s:
            s.add(row)
        return row

    def _update(self, model: type[Base], row_id: int, fields: dict[str, Any]) -> None:
        # One UPDATE statement: loading the row first read its long compressed texts for nothing.
        columns = model.__mapper__.column_attrs.keys()
        for key in fields:
            if key not in columns:
                raise AttributeError(f"{model.__name__} has no column {key}")
        fields = {**fields, **{MEASURED[k]: len(v or "") for k, v in fields.items() if k in MEASURED and MEASURED[k] in columns}}
        with self._write_lock, self._sessions.begin() as s:
            if not fields:
                found = s.get(model, row_id) is not None
            else:
                stmt = update(model).where(model.id == row_id).values(**fields).execution_options(synchronize_session=False)
                found = s.execute(stmt).rowcount > 0
            if not found:
                raise NotFoundError(f"no {model.__tablename__[:-1]} with id {row_id}")

    def _all(self, stmt: Any) -> list[Any]:
        with self._sessions() as s:
            return list(s.scalars(stmt))

    # -- runs --------------------------------------------------------------------------------
    def create_run(self, name: str, config_json: str, dgm_version: str) -> Run:
        return self._add(Run(name=name, config_json=config_json, dgm_version=dgm_version, status="running"))

    def get_run(self, run_id: int) -> Run:
        with self._sessions() as s:
            run = s.get(Run, run_id)
        if run is None:
            raise NotFoundError(f"no run with id {run_id}")
        return run

    def runs(self) -> list[Run]:
        return self._all(select(Run).order_by(Run.id))

    def latest_run(self) -> Run | None:
        runs = self._all(select(Run).order_by(Run.id.desc()).limit(1))
        return runs[0] if runs else None

    def set_run_status(self, run_id: int, status: str, reason: str | None = None) -> None:
        self._update(Run, run_id, {"status": status, "reason": reason, "updated_at": utcnow()})

    def set_best(self, run_id: int, agent_id: int | None) -> None:
        """Record the agent the run's search policy recommends handing over (None: none yet)."""
        self._update(Run, run_id, {"best_agent_id": agent_id})

    # -- agents ------------------------------------------------------------------------------
    def add_agent(self, **fields: Any) -> Agent:
        return self._add(Agent(**fields))

    def update_agent(self, agent_id: int, **fields: Any) -> None:
        self._update(Agent, agent_id, fields)

    def get_agent(self, agent_id: int) -> Agent:
        with self._sessions() as s:
            agent = s.get(Agent, agent_id)
        if agent is None:
            raise NotFoundError(f"no agent with id {agent_id}")
        return agent

    def add_agents(self, rows: list[dict[str, Any]]) -> list[Agent]:
        """Several agents in one transaction: a generation's attempts exist all together or not at all."""
        agents = [Agent(**fields) for fields in rows]
        with self._write_lock, self._sessions.begin() as s:
            s.add_all(agents)
        return agents

    def finish_agent(self, agent_id: int, **fields: Any) -> bool:
        """Give a running agent its final status; False (and nothing written) if it was already
        finished, e.g. by the watchdog while its thread was stuck."""
        with self._write_lock, self._sessions.begin() as s:
            row = s.get(Agent, agent_id)
            if row is None:
                raise NotFoundError(f"no agent with id {agent_id}")
            if row.status != "running":
                return False
            for key, value in fields.items():
                setattr(row, key, value)
        return True

    def flag_agent(self, agent_id: int, reason: str) -> bool:
        """Flag an agent as a suspected reward hacker; True when this set the flag (the first reason
        stays: a resumed step that flags again changes nothing)."""
        with self._write_lock, self._sessions.begin() as s:
            row = s.get(Agent, agent_id)
            if row is None:
                raise NotFoundError(f"no agent with id {agent_id}")
            if row.flag is not None:
                return False
            row.flag = reason
        return True

    def flagged(self, run_id: int) -> list[Agent]:
        """The run's flagged agents, oldest first."""
        return self._all(select(Agent).where(Agent.run_id == run_id, Agent.flag.is_not(None)).order_by(Agent.id))

    def agents(self, run_id: int, statuses: Iterable[str] | None = None, generation: int | None = None) -> list[Agent]:
        stmt = select(Agent).where(Agent.run_id == run_id).order_by(Agent.id)
        if statuses is not None:
            stmt = stmt.where(Agent.status.in_(list(statuses)))
        if generation is not None:
            stmt = stmt.where(Agent.generation == generation)
        return self._all(stmt)

    def count_attempts(self, run_id: int) -> int:
        """Self-improvement attempts so far (every agent but the seed), whatever became of them."""
        with self._sessions() as s:
            return int(s.scalar(select(func.count()).where(Agent.run_id == run_id, Agent.parent_id.is_not(None))) or 0)

    def children_counts(self, run_id: int) -> Counter[int]:
        """How many attempts each agent has parented (rejected ones count: the paper's n_children)."""
        with self._sessions() as s:
            rows = s.execute(
                select(Agent.parent_id, func.count())
                .where(Agent.run_id == run_id, Agent.parent_id.is_not(None))
                .group_by(Agent.parent_id)
            ).all()
        return Counter({parent: n for parent, n in rows})

    # -- evaluations ---------------------------------------------------------------------------
    def add_evaluation(self, **fields: Any) -> Evaluation:
        return self._add(Evaluation(**fields))

    def evaluations(self, agent_id: int, canary: bool | None = False) -> list[Evaluation]:
        """The agent's evaluations on benchmark tasks; ``canary=True``: its cheating-canary checks
        instead, None: both. Canaries never count, so the default leaves them out."""
        stmt = select(Evaluation).where(Evaluation.agent_id == agent_id).order_by(Evaluation.id)
        if canary is not None:
            stmt = stmt.where(Evaluation.canary == canary)
        return self._all(stmt)

    def count_tampered(self, run_id: int) -> int:
        """Evaluations of the run whose grade was tampered with (canary checks included)."""
        stmt = (select(func.count()).select_from(Evaluation).join(Agent, Agent.id == Evaluation.agent_id)
                .where(Agent.run_id == run_id, Evaluation.tampered.is_not(None)))
        with self._sessions() as s:
            return int(s.scalar(stmt) or 0)

    # -- search-policy decisions ------------------------------------------------------------
    def add_decision(self, run_id: int, agent_id: int | None, kind: str, rule: str, detail: dict[str, Any]) -> None:
        """Keep one decision of the search policy (``detail``: the Decision's JSON). Once per job, so
        one INSERT through Core: no ORM object to build, refresh or return."""
        row = {"run_id": run_id, "agent_id": agent_id, "kind": kind, "rule": rule,
               "detail_json": json.dumps(detail, separators=(",", ":")), "created_at": utcnow()}
        with self._write_lock, self._sessions.begin() as s:
            s.execute(insert(Decision).values(**row))

    def decisions(self, run_id: int, agent_id: int | None = None) -> list[Decision]:
        """The run's decisions (``agent_id``: those about that agent), oldest first."""
        stmt = select(Decision).where(Decision.run_id == run_id).order_by(Decision.id)
        if agent_id is not None:
            stmt = stmt.where(Decision.agent_id == agent_id)
        return self._all(stmt)

    # -- model calls -------------------------------------------------------------------------
    def record_call(self, **fields: Any) -> ModelCall:
        return self._add(ModelCall(**fields))

    def calls(self, run_id: int | None = None, agent_id: int | None = None) -> list[ModelCall]:
        stmt = select(ModelCall).order_by(ModelCall.id)
        if run_id is not None:
            stmt = stmt.where(ModelCall.run_id == run_id)
        if agent_id is not None:
            stmt = stmt.where(ModelCall.agent_id == agent_id)
        return self._all(stmt)

    def tokens(self, run_id: int) -> int:
        """Prompt plus completion tokens of every recorded call of the run (the token budget)."""
        tokens = func.coalesce(func.sum(ModelCall.prompt_tokens + ModelCall.completion_tokens), 0)
        stmt = select(tokens).where(ModelCall.run_id == run_id)
        with self._sessions() as s:
            return int(s.scalar(stmt) or 0)

    def cost(self, run_id: int | None = None, agent_id: int | None = None) -> float:
        stmt = select(func.coalesce(func.sum(ModelCall.cost_usd), 0.0))
        if run_id is not None:
            stmt = stmt.where(ModelCall.run_id == run_id)
        if agent_id is not None:
            stmt = stmt.where(ModelCall.agent_id == agent_id)
        with self._sessions() as s:
            return float(s.scalar(stmt) or 0.0)


def open_run_archive(run_dir: Path, db_url: str | None = None) -> tuple[Archive, Run]:
    """The archive of the run in ``run_dir`` and that run: its SQLite file, or the server database its
    database.json (or ``db_url``, the `--db-url` option) names. NotFoundError when there is none."""
    where = locate_existing(run_dir, db_url)
    archive = Archive(where.url)
    try:
        run = archive.get_run(where.run_id) if where.run_id is not None else archive.latest_run()
        if run is None:
            raise NotFoundError(f"{public_url(where.url)} holds no run")
    except BaseException:
        archive.close()
        raise
    return archive, run
