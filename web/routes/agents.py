"""JSON API over one agent: what motivated it, its code changes, its per-task results against its
parent, its transcripts, its model calls, and a download of its code."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import Response

from web import code, lineage, task_results, transcripts
from web.api_models import AgentDetail, Diff, EvaluationDetail, ModelCallOut, TaskResults, TranscriptPage
from web.responses import SafeJSON
from web.run_context import RunContext, run_context

router = APIRouter(prefix="/api/runs/{name}/agents/{agent_id}", tags=["agents"])
Offset = Query(0, ge=0, description="First message to return.")
Limit = Query(50, ge=1, le=transcripts.MAX_PAGE, description="How many messages to return.")


def _diagnosis(raw: str | None) -> tuple[dict[str, Any] | None, str | None]:
    if not raw:
        return None, None
    try:
        parsed = json.loads(raw)
    except ValueError:
        return None, raw
    return (parsed, None) if isinstance(parsed, dict) else (None, raw)


def _calls_summary(calls: list[dict[str, Any]]) -> dict[str, Any]:
    per_purpose: dict[str, dict[str, float]] = defaultdict(
        lambda: {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": 0.0, "errors": 0})
    for call in calls:
        row = per_purpose[call["purpose"]]
        row["calls"] += 1
        row["prompt_tokens"] += call["prompt_tokens"] or 0
        row["completion_tokens"] += call["completion_tokens"] or 0
        row["cost_usd"] += call["cost_usd"] or 0.0
        row["errors"] += call["error"] is not None
    return {"count": len(calls), "cost_usd": round(sum(c["cost_usd"] or 0.0 for c in calls), 6),
            "prompt_tokens": sum(c["prompt_tokens"] or 0 for c in calls),
            "completion_tokens": sum(c["completion_tokens"] or 0 for c in calls),
            "by_purpose": dict(per_purpose)}


@router.get("", response_model=AgentDetail)
def agent(agent_id: int, ctx: RunContext = Depends(run_context)) -> Any:
    """One agent: its diagnosis, lineage (path, children, clade), model-call totals, what the search policy
    had of it and how to rerun it."""
    node = ctx.node(agent_id)
    full = ctx.reader.agent(ctx.run_id, agent_id) or {}
    nodes = ctx.nodes()
    by_id = {n["id"]: n for n in nodes}
    diagnosis, raw = _diagnosis(full.get("diagnosis_json"))
    seed = next((n["id"] for n in nodes if n["status"] == "seed"), None)
    best = ctx.best()
    return SafeJSON({
        **node,
        "diagnosis": diagnosis,
        "diagnosis_raw": raw,
        "transcript_messages": len(transcripts.parse(ctx.reader.agent_transcript(ctx.run_id, agent_id))),
        "path": lineage.path_to_root(by_id, agent_id),
        "children": [n for n in nodes if n["parent_id"] == agent_id],
        "clade": lineage.clade(nodes, agent_id),
        "seed_id": seed,
        "best_id": best["id"] if best else None,
        "replay_command": ctx.replay_command(agent_id),
        "checkout_command": ctx.checkout_command(agent_id),
        "download_url": f"/api/runs/{quote(ctx.name, safe='')}/agents/{agent_id}/code.tar.gz" if node["has_code"] else None,
        "calls": _calls_summary(ctx.reader.calls(agent_id)),
        "search": {"policy": ctx.run.get("policy", "dgm"), **ctx.reader.agent_search(ctx.run_id, agent_id)},
    })


@router.get("/diff", response_model=Diff)
def diff(agent_id: int, ctx: RunContext = Depends(run_context),
         against: str = Query("parent", description="parent | seed | another agent's id")) -> Any:
    """This agent's code against its parent (its own change), the seed (cumulative) or any agent."""
    node = ctx.node(agent_id)
    if against == "parent":
        base_id = node["parent_id"]
    elif against == "seed":
        base_id = next((n["id"] for n in ctx.nodes() if n["status"] == "seed"), None)
    elif against.isdigit():
        base_id = ctx.node(int(against))["id"]
    else:
        raise HTTPException(422, "against must be parent, seed or an agent id")
    base = ctx.node(base_id) if base_id is not None else None
    found = code.diff(ctx.path, base.get("commit") if base else None, node.get("commit")) if ctx.path else None
    return SafeJSON({"agent_id": agent_id, "base_id": base_id, "against": against, "available": found is not None,
                     **(found or {"diff": "", "truncated": False, "files": []})})


@router.get("/tasks", response_model=TaskResults)
def tasks(agent_id: int, ctx: RunContext = Depends(run_context)) -> Any:
    """Per-task results, each against the parent's on the same task: newly solved, newly broken."""
    node = ctx.node(agent_id)
    parent_id = node["parent_id"]
    rows = ctx.reader.evaluations([agent_id] + ([parent_id] if parent_id is not None else []))
    mine = [r for r in rows if r["agent_id"] == agent_id]
    theirs = [r for r in rows if r["agent_id"] == parent_id]
    compared = task_results.compare(mine, theirs)
    return SafeJSON({"parent_id": parent_id, "totals": task_results.totals(compared), "tasks": compared})


def _evaluation_row(ctx: RunContext, agent_id: int, evaluation_id: int) -> dict[str, Any]:
    ctx.node(agent_id)  # the agent must belong to this run
    row = ctx.reader.evaluation(agent_id, evaluation_id)
    if row is None:
        raise HTTPException(404, "no such task result for this agent")
    return row


def _json(text: str | None, default: Any) -> Any:
    try:
        value = json.loads(text or "")
    except ValueError:
        return default
    return value if isinstance(value, type(default)) else default


@router.get("/tasks/{evaluation_id}", response_model=EvaluationDetail)
def task(agent_id: int, evaluation_id: int, ctx: RunContext = Depends(run_context)) -> Any:
    """One task attempt: the agent's patch, the test output and each test's outcome."""
    row = _evaluation_row(ctx, agent_id, evaluation_id)
    out = {k: v for k, v in row.items() if k not in ("test_results_json", "stripped_paths_json", "patch_hash")}
    out["test_results"] = {str(k): str(v) for k, v in _json(row.get("test_results_json"), {}).items()}
    out["stripped_paths"] = [str(p) for p in _json(row.get("stripped_paths_json"), [])]
    return SafeJSON(out)


@router.get("/tasks/{evaluation_id}/transcript", response_model=TranscriptPage)
def task_transcript(agent_id: int, evaluation_id: int, ctx: RunContext = Depends(run_context),
                    offset: int = Offset, limit: int = Limit) -> Any:
    """The agent's transcript on one task, paged."""
    _evaluation_row(ctx, agent_id, evaluation_id)
    return SafeJSON(transcripts.page(ctx.reader.evaluation_transcript(agent_id, evaluation_id), offset, limit))


@router.get("/transcript", response_model=TranscriptPage)
def transcript(agent_id: int, ctx: RunContext = Depends(run_context), offset: int = Offset, limit: int = Limit) -> Any:
    """The self-modification transcript (the parent agent editing its own code), paged."""
    ctx.node(agent_id)
    return SafeJSON(transcripts.page(ctx.reader.agent_transcript(ctx.run_id, agent_id), offset, limit))


@router.get("/calls", response_model=list[ModelCallOut])
def calls(agent_id: int, ctx: RunContext = Depends(run_context)) -> Any:
    """Every model call made for this agent (diagnosis, self-modification, solving tasks)."""
    ctx.node(agent_id)
    return SafeJSON(ctx.reader.calls(agent_id))


@router.get("/code.tar.gz", response_class=Response,
            responses={200: {"content": {"application/gzip": {}}, "description": "The agent's files."}})
def download(agent_id: int, ctx: RunContext = Depends(run_context)) -> Response:
    """The agent's code as a .tar.gz (its commit in the run's agents.git)."""
    node = ctx.node(agent_id)
    data = code.tarball(ctx.path, node.get("commit"), f"agent-{agent_id}") if ctx.path else None
    if data is None:
        raise HTTPException(404, "this agent has no code (no commit)")
    return Response(data, media_type="application/gzip",
                    headers={"content-disposition": f'attachment; filename="agent-{agent_id}.tar.gz"'})
