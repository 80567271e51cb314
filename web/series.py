"""Chart series of a run, per iteration (generation): best score so far, archive mean, every child's
score, and the dollars spent up to then. Pure functions over the agents list and the per-agent cost."""

from __future__ import annotations

from typing import Any

from web.lineage import ARCHIVED, Node


def agent_cost(node: Node, cost_by_agent: dict[int | None, float]) -> float:
    # The recorded calls are the truth while an attempt runs; the agent row has the sum once filed.
    return cost_by_agent.get(node["id"], node.get("cost_usd") or 0.0)


def iterations(nodes: list[Node], cost_by_agent: dict[int | None, float]) -> list[dict[str, Any]]:
    """One row per generation 0..latest: cumulative archive statistics and cumulative cost."""
    latest = max((n["generation"] for n in nodes), default=-1)
    by_generation: list[list[Node]] = [[] for _ in range(latest + 1)]
    for node in nodes:
        by_generation[node["generation"]].append(node)
    spent = cost_by_agent.get(None, 0.0)  # calls not tied to an agent (none today, but honest if any)
    scores: list[float] = []
    trusted: list[float] = []  # the best is never a flagged agent's (lineage.best_agent)
    rows = []
    for generation, members in enumerate(by_generation):
        spent += sum(agent_cost(n, cost_by_agent) for n in members)
        archived = [n for n in members if n["status"] in ARCHIVED and n["score"] is not None]
        scores += [n["score"] for n in archived]
        trusted += [n["score"] for n in archived if not n.get("flag")]
        rows.append({
            "generation": generation,
            "attempts": len(members),
            "archived": len(scores),
            "best": max(trusted, default=None),
            "mean": sum(scores) / len(scores) if scores else None,
            "cost": round(spent, 6),
        })
    return rows


def child_points(nodes: list[Node]) -> list[dict[str, Any]]:
    """Every scored attempt as a point (generation, score): the scatter behind the lines."""
    return [{"id": n["id"], "generation": n["generation"], "score": n["score"], "status": n["status"]}
            for n in nodes if n["score"] is not None]
