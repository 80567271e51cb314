"""JSON API over runs: the runs list, one run's summary, its agents (the tree), chart series, live
changes, and the comparison of several runs."""

from __future__ import annotations

from typing import Any, Optional

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from sqlalchemy.exc import DatabaseError

from archive_db.liveness import liveness
from kernel.errors import DgmError
from web import events, series
from web.api_models import AgentNode, Changes, Charts, CompareRun, Health, RunSummary
from web.responses import SafeJSON, cached_json
from web.run_context import RunContext, context_for, run_context
from web.run_root import RunSource

router = APIRouter(prefix="/api", tags=["runs"])


@router.get("/health", response_model=Health)
def health() -> dict[str, str]:
    """Liveness: answers as soon as the server runs."""
    return {"status": "ok"}


@router.get("/runs", response_model=list[RunSummary])
def runs(request: Request) -> Any:
    """Every run under the run root: status, attempts, best score, cost so far, start, last activity."""
    root: RunSource = request.app.state.run_root
    out = []
    try:
        entries = root.entries()
    except DgmError as exc:  # the database server is down or refuses us
        raise HTTPException(503, str(exc)) from None
    for entry in entries:
        try:
            ctx = context_for(root, entry)
        except (DatabaseError, DgmError):  # not an SQLite file, damaged, a server away: the other runs still show
            continue
        if ctx is not None:  # None: an archive still being set up
            out.append(ctx.summary())
    return SafeJSON(out)


@router.get("/runs/{name}", response_model=RunSummary)
def run(ctx: RunContext = Depends(run_context)) -> Any:
    """One run: status, counts per status, best agent and the path to it, cost, the shown config."""
    return cached_json(ctx.reader, "summary", ctx.summary)


@router.get("/runs/{name}/agents", response_model=list[AgentNode])
def agents(ctx: RunContext = Depends(run_context)) -> Any:
    """Every attempt of the run (also rejected and failed ones): the lineage tree as a parent list."""
    return cached_json(ctx.reader, "nodes", ctx.nodes)


@router.get("/runs/{name}/charts", response_model=Charts)
def charts(ctx: RunContext = Depends(run_context)) -> Any:
    """Per generation: best and mean archived score, cumulative cost; and every child's score."""
    def compute() -> dict[str, Any]:
        nodes = ctx.nodes()
        return {"iterations": series.iterations(nodes, ctx.costs()), "points": series.child_points(nodes)}
    return cached_json(ctx.reader, "charts", compute)


@router.get("/runs/{name}/changes", response_model=Changes)
def changes(ctx: RunContext = Depends(run_context),
            since: Optional[str] = Query(None, description="The `version` of your last answer."),
            offset: Optional[int] = Query(None, description="The `offset` of your last answer (event-log bytes).")) -> Any:
    """Cheap to poll: whether the archive changed since `since`, the new event-log records, and
    whether a process works on the run now (running, paused on a down model endpoint, stopping)."""
    version = ctx.reader.signature()
    log = events.read(ctx.path, offset) if ctx.path else {"events": [], "offset": 0}
    live = liveness(ctx.path) if ctx.path else {"running": False}
    return SafeJSON({"version": version, "changed": since != version, "events": log["events"], "offset": log["offset"],
                     "live": live})


@router.get("/compare", response_model=list[CompareRun])
def compare(request: Request, run: list[str] = Query(..., description="Run names (folder names); repeat the parameter.")) -> Any:
    """Several runs side by side: best score and cumulative cost per generation."""
    out = []
    for name in dict.fromkeys(run):  # each run once, in the order asked
        ctx = run_context(request, name)
        nodes = ctx.nodes()
        out.append({"dir": ctx.name, "status": ctx.run.get("status"), "iterations": series.iterations(nodes, ctx.costs())})
    return SafeJSON(out)
