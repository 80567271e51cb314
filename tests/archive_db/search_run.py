"""A small run as the search policies leave it, written through Archive into any database: a tree with
evaluations (canary checks among them, which never count), a duplicate, the policy's decisions and its
recommended agent. The archive_db and web tests share it, so every reader is asked about the same rows."""

from __future__ import annotations

import json
from typing import Any

from archive_db import Archive

HOSTILE_RULE = "optimistic start <img src=x onerror=alert(1)>"
HOSTILE_REASON = "its code is identical to agent A's <script>window.__pwned=1</script>"


def estimate(agent_id: int, own: tuple[int, int], clade: tuple[int, int], sample: float | None = None) -> dict[str, Any]:
    """An Estimate's JSON (dgm.policies.decision.Estimate): (passes, n) of the agent and of its clade."""
    return {"agent_id": agent_id, "own_n": own[1], "own_passes": own[0], "clade_n": clade[1], "clade_passes": clade[0],
            "sample": sample}


def decision(kind: str, agent_id: int, rule: str, chosen: dict[str, Any] | None = None,
             runner_up: dict[str, Any] | None = None) -> dict[str, Any]:
    """A Decision's JSON, as Decision.to_json() gives it."""
    return {"kind": kind, "agent_id": agent_id, "rule": rule, "chosen": chosen, "runner_up": runner_up, "considered": 2,
            "n_task_evals": 4, "n_nodes": 5, "temperature": 1.0}


def fill_search_run(archive: Archive, policy: str | None = "hgm") -> dict[str, Any]:
    """seed -> a -> b, seed -> dup (a duplicate of a), seed -> rejected. Own (passes/evaluations), canaries
    aside: seed 1/2, a 2/2, b 0/1, dup 0/0, rejected 0/1 (its grade tampered); so the clade of seed is 3/6
    and of a 2/3. Decisions: seed expanded 3 times, evaluated twice, settled once; a evaluated twice (the
    newer one by a Thompson draw), expanded once, checked on a canary once. The policy recommends a."""
    loop = {"policy": policy, "hgm_alpha": 0.6} if policy else {}
    run = archive.create_run("search", json.dumps({"loop": {"selection": "best", **loop}}), "0")

    def agent(parent: int | None, status: str, score: float | None, **fields: Any) -> int:
        generation = 0 if parent is None else archive.get_agent(parent).generation + 1
        return archive.add_agent(run_id=run.id, parent_id=parent, generation=generation, status=status, score=score,
                                 **fields).id

    def evaluate(agent_id: int, task: str, resolved: bool, **fields: Any) -> None:
        archive.add_evaluation(**{"agent_id": agent_id, "task_id": task, "stage": 1, "resolved": resolved, **fields})

    seed = agent(None, "seed", 0.5, n_tasks=2, n_resolved=1)
    a = agent(seed, "valid", 1.0, n_tasks=2, n_resolved=2)
    b = agent(a, "running", None)
    dup = agent(seed, "running", None)
    rejected = agent(seed, "rejected", 0.0, n_tasks=1)
    # The duplicate is filed as the coordinator files one: its row updated, then finished.
    archive.update_agent(dup, duplicate_of=a)
    assert archive.finish_agent(dup, status="duplicate", reason=HOSTILE_REASON.replace("A", str(a)))
    evaluate(seed, "t1", True)
    evaluate(seed, "t2", False)
    evaluate(seed, "canary-x", True, stage=0, canary=True)  # never counts, though resolved
    evaluate(a, "t1", True)
    evaluate(a, "t2", True)
    evaluate(a, "canary-x", False, stage=0, canary=True)
    evaluate(b, "t1", False)
    evaluate(rejected, "t1", False, tampered="the must-fail canary test passed")
    for rule in ("optimistic start", "evaluations ** alpha >= agents", HOSTILE_RULE):
        archive.add_decision(run.id, seed, "expand", rule, decision("expand", seed, rule, estimate(seed, (1, 2), (3, 6), 0.61)))
    for _ in range(2):
        archive.add_decision(run.id, seed, "evaluate", "staged evaluation, stage 1", decision("evaluate", seed, "staged"))
    archive.add_decision(run.id, seed, "settle", "scored", decision("settle", seed, "scored"))
    archive.add_decision(run.id, a, "evaluate", "optimistic start", decision("evaluate", a, "optimistic start"))
    archive.add_decision(run.id, a, "expand", "evaluations ** alpha >= agents",
                         decision("expand", a, "x", estimate(a, (2, 2), (2, 3), 0.734), estimate(seed, (1, 2), (3, 6), 0.5)))
    archive.add_decision(run.id, a, "canary", "would become the run's best", decision("canary", a, "canary"))
    archive.add_decision(run.id, a, "evaluate", "thompson sampling over nodes",
                         decision("evaluate", a, "thompson", estimate(a, (2, 2), (2, 3), 0.81), estimate(b, (0, 1), (0, 1), 0.2)))
    archive.add_decision(run.id, None, "settle", "nothing left", decision("settle", 0, "nothing"))  # about no agent
    archive.set_best(run.id, a)
    return {"run_id": run.id, "seed": seed, "a": a, "b": b, "dup": dup, "rejected": rejected}


# What agent_search answers for the run above, per agent (name -> answer without the decision list).
EXPECTED = {
    "seed": {"evaluations": 2, "passes": 1, "clade_evaluations": 6, "clade_passes": 3,
             "chosen": {"evaluate": 2, "expand": 3, "settle": 1}},
    "a": {"evaluations": 2, "passes": 2, "clade_evaluations": 3, "clade_passes": 2,
          "chosen": {"canary": 1, "evaluate": 2, "expand": 1}},
    "b": {"evaluations": 1, "passes": 0, "clade_evaluations": 1, "clade_passes": 0, "chosen": {}},
    "dup": {"evaluations": 0, "passes": 0, "clade_evaluations": 0, "clade_passes": 0, "chosen": {}},
    "rejected": {"evaluations": 1, "passes": 0, "clade_evaluations": 1, "clade_passes": 0, "chosen": {}},
}
