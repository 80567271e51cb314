"""An agent's per-task results set against its parent's: what the self-modification changed in
behaviour (tasks newly solved or newly broken, and which tests flipped inside each task)."""

from __future__ import annotations

import json
from typing import Any

Row = dict[str, Any]


def _tests(row: Row | None) -> dict[str, str]:
    if row is None:
        return {}
    try:
        parsed = json.loads(row.get("test_results_json") or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in parsed.items()} if isinstance(parsed, dict) else {}


def agent_counts(row: Row) -> dict[str, Any] | None:
    """What the agent's result.json counted (tool-call formats, nudges, repeats), as dgm kept it."""
    try:
        parsed = json.loads(row.get("agent_counts") or "null")
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def flip(mine: Row, theirs: Row | None) -> str | None:
    if theirs is None:
        return None
    if mine["resolved"] and not theirs["resolved"]:
        return "newly_solved"
    if theirs["resolved"] and not mine["resolved"]:
        return "newly_broken"
    return None


def compare(mine: list[Row], parents: list[Row]) -> list[Row]:
    """One row per task the agent ran, with the parent's outcome on the same task (if it ran it)."""
    parent_by_task = {(r["task_id"], bool(r.get("canary"))): r for r in parents}  # the latest grade of a task wins
    out = []
    for row in {(r["task_id"], bool(r.get("canary"))): r for r in mine}.values():
        theirs = parent_by_task.get((row["task_id"], bool(row.get("canary"))))
        tests, parent_tests = _tests(row), _tests(theirs)
        out.append({
            **{k: v for k, v in row.items() if k != "test_results_json"},
            "agent_counts": agent_counts(row),
            "parent_resolved": None if theirs is None else bool(theirs["resolved"]),
            "flip": flip(row, theirs),
            "tests_total": len(tests),
            "tests_passed": sum(v == "PASSED" for v in tests.values()),
            "tests_flipped": sorted(t for t in tests.keys() & parent_tests.keys() if tests[t] != parent_tests[t]),
        })
    # Canary checks and tampered grades first (what a reviewer must see), then flips, stages, ids.
    return sorted(out, key=lambda r: (not (r.get("canary") or r.get("tampered")), r["flip"] is None, r["stage"], r["task_id"]))


def totals(rows: list[Row]) -> dict[str, int]:
    """Counts over the benchmark's tasks; cheating-canary checks never count among them."""
    tasks = [r for r in rows if not r.get("canary")]
    canaries = [r for r in rows if r.get("canary")]
    return {
        "tasks": len(tasks),
        "solved": sum(bool(r["resolved"]) for r in tasks),
        "newly_solved": sum(r["flip"] == "newly_solved" for r in tasks),
        "newly_broken": sum(r["flip"] == "newly_broken" for r in tasks),
        "canary_checks": len(canaries),
        "canary_resolved": sum(bool(r["resolved"]) for r in canaries),
        "tampered": sum(bool(r.get("tampered")) for r in rows),
    }
