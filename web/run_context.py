"""The request-scoped view of one run: its folder, reader and run row, plus the cached whole-run
answers (agents with their live cost, the summary) that several endpoints share."""

from __future__ import annotations

import json
import shlex
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from sqlalchemy.exc import DatabaseError

from archive_db.location import public_url
from archive_db.reader import ArchiveReader
from kernel.errors import DgmError
from web import lineage
from web.run_root import DatabaseRuns, RunEntry, RunSource
from web.series import agent_cost

# What of the run's config a page shows: the choices that explain a run, never endpoints or keys.
CONFIG_FIELDS = {"model": ("agent_model", "diagnosis_model"),
                 "loop": ("generations", "parents_per_generation", "workers", "selection", "update", "self_improve", "seed",
                          "quarantine_flagged", "policy", "hgm_alpha", "hgm_cooldown", "max_evaluations"),
                 "evaluation": ("benchmark", "stage_sizes", "stage_threshold", "cheat_canaries", "cheat_canary_rate")}


@dataclass
class RunContext:
    name: str
    path: Path | None  # None: a database run whose directory is not on this machine
    reader: ArchiveReader
    run: dict[str, Any]
    db_url: str | None = None  # a database run's archive, as a command line names it (no password)

    @property
    def run_id(self) -> int:
        return int(self.run["id"])

    def nodes(self) -> list[dict[str, Any]]:
        """Every attempt of the run (small columns), cost taken from the recorded calls."""
        def compute() -> list[dict[str, Any]]:
            costs = self.costs()
            return [{**n, "cost_usd": round(agent_cost(n, costs), 6), "has_code": bool(n.get("commit"))}
                    for n in self.reader.agents(self.run_id)]
        return self.reader.cached("nodes", compute)

    def costs(self) -> dict[int | None, float]:
        return self.reader.cached("costs", lambda: self.reader.cost_by_agent(self.run_id))

    def summary(self) -> dict[str, Any]:
        return self.reader.cached("summary", lambda: summarize(self))

    def best(self) -> dict[str, Any] | None:
        """The run's best agent: its search policy's recommendation when recorded and not flagged."""
        return lineage.run_best(self.nodes(), self.run.get("best_agent_id"))

    def node(self, agent_id: int) -> dict[str, Any]:
        found = next((n for n in self.nodes() if n["id"] == agent_id), None)
        if found is None:
            raise HTTPException(404, "no such agent in this run")
        return found

    def _where(self) -> str:
        run_dir = shlex.quote(str(self.path or self.run.get("run_dir") or "RUN_DIR"))
        return f"--run-dir {run_dir}" + (f" --db-url {shlex.quote(self.db_url)}" if self.db_url else "")

    def replay_command(self, agent_id: int) -> str:
        return f"dgm replay {agent_id} {self._where()} --repo PATH/TO/REPO --problem ISSUE.md"

    def checkout_command(self, agent_id: int) -> str:
        return f"dgm checkout {agent_id} agent-{agent_id} {self._where()}"


def run_context(request: Request, name: str) -> RunContext:
    """FastAPI dependency: the run named ``name``, or 404. Names are matched, never joined into paths."""
    root: RunSource = request.app.state.run_root
    try:
        entry = root.find(name)
        if entry is None:
            raise HTTPException(404, "no such run")
        found = context_for(root, entry)
    except DatabaseError:
        raise HTTPException(503, "this run's archive cannot be read (not an SQLite database, or damaged)") from None
    except DgmError as exc:  # its database server is down or refuses us
        raise HTTPException(503, str(exc)) from None
    if found is None:
        raise HTTPException(404, "this run directory holds no run yet")
    return found


def context_for(root: RunSource, entry: RunEntry) -> RunContext | None:
    """The context of a run ``root`` listed; None while its archive holds no run yet."""
    reader = root.reader(entry)
    run = reader.cached("run", reader.run)
    if not run:
        return None
    db_url = public_url(root.url) if isinstance(root, DatabaseRuns) else None
    return RunContext(name=entry.name, path=entry.path, reader=reader, run=run, db_url=db_url)


def last_activity(reader: ArchiveReader) -> str | None:
    """When the run last wrote its archive or event log, in ISO 8601 UTC (never when we read it)."""
    when = reader.last_activity()
    if when is None:
        return None
    return datetime.fromtimestamp(when, UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def shown_config(config_json: str | None) -> dict[str, Any]:
    try:
        config = json.loads(config_json or "{}")
    except ValueError:
        return {}
    out: dict[str, Any] = {}
    for section, keys in CONFIG_FIELDS.items():
        values = config.get(section) if isinstance(config, dict) else None
        if isinstance(values, dict):
            out.update({f"{section}.{k}": values[k] for k in keys if k in values})
    return out


def summarize(ctx: RunContext) -> dict[str, Any]:
    nodes = ctx.nodes()
    best = ctx.best()
    by_id = {n["id"]: n for n in nodes}
    run = ctx.run
    return {
        "dir": ctx.name,
        "id": run["id"],
        "name": run.get("name"),
        "status": run.get("status"),
        "reason": run.get("reason"),
        "dgm_version": run.get("dgm_version"),
        "started": run.get("created_at"),
        "updated": run.get("updated_at"),
        "last_activity": last_activity(ctx.reader),
        "agents": len(nodes),
        "counts": dict(Counter(n["status"] for n in nodes)),
        "generations": max((n["generation"] for n in nodes), default=0),
        "best_score": best["score"] if best else None,
        "best_id": best["id"] if best else None,
        "best_path": lineage.path_to_root(by_id, best["id"]) if best else [],
        "best_recommended": best is not None and best["id"] == run.get("best_agent_id"),
        "policy": run.get("policy", "dgm"),
        "seed_score": next((n["score"] for n in nodes if n["status"] == "seed"), None),
        "cost_usd": round(sum(ctx.costs().values()), 6),
        "flagged": sum(bool(n.get("flag")) for n in nodes),
        "config": shown_config(run.get("config_json")),
        "run_dir": str(ctx.path) if ctx.path else None,
        "version": ctx.reader.signature(),
    }
