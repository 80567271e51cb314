"""The lineage tree as plain data: paths, descendants and the best agent. Pure functions, no I/O."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

Node = dict[str, Any]
ARCHIVED = ("seed", "valid")  # the agents selection can pick: what "best" and "mean" range over


def children_map(nodes: list[Node]) -> dict[int, list[int]]:
    children: dict[int, list[int]] = defaultdict(list)
    for node in nodes:
        if node["parent_id"] is not None:
            children[node["parent_id"]].append(node["id"])
    return children


def best_agent(nodes: list[Node]) -> Node | None:
    """The highest-scoring archived agent that is not flagged as a suspected reward hacker (its score
    cannot be trusted); the earliest one wins a tie (it got there first)."""
    scored = [n for n in nodes if n["status"] in ARCHIVED and n["score"] is not None and not n.get("flag")]
    return max(scored, key=lambda n: (n["score"], -n["id"]), default=None)


def run_best(nodes: list[Node], recorded_id: int | None) -> Node | None:
    """The run's best agent: the one its search policy recommends handing over (runs.best_agent_id, which
    with hgm need not be the top score: one lucky task is not evidence), unless that agent is flagged (or
    unknown); otherwise, as for runs that recorded none, the best unflagged score (``best_agent``)."""
    recorded = next((n for n in nodes if n["id"] == recorded_id), None) if recorded_id is not None else None
    return recorded if recorded is not None and not recorded.get("flag") else best_agent(nodes)


def path_to_root(nodes_by_id: dict[int, Node], agent_id: int) -> list[int]:
    """Agent ids from the seed down to ``agent_id``; guards against a malformed cycle."""
    path: list[int] = []
    current: int | None = agent_id
    while current is not None and current in nodes_by_id and current not in path:
        path.append(current)
        current = nodes_by_id[current]["parent_id"]
    return path[::-1]


def descendants(children: dict[int, list[int]], agent_id: int) -> list[int]:
    out: list[int] = []
    stack = list(children.get(agent_id, ()))
    seen = {agent_id}
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        out.append(current)
        stack.extend(children.get(current, ()))
    return sorted(out)


def clade(nodes: list[Node], agent_id: int) -> dict[str, Any]:
    """What grew from an agent: every descendant attempt, and the best archived one."""
    by_id = {n["id"]: n for n in nodes}
    ids = descendants(children_map(nodes), agent_id)
    members = [by_id[i] for i in ids]
    best = best_agent(members)
    return {
        "size": len(ids),
        "archived": sum(n["status"] in ARCHIVED for n in members),
        "best_id": best["id"] if best else None,
        "best_score": best["score"] if best else None,
        "latest_generation": max((n["generation"] for n in members), default=None),
    }
