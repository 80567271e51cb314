"""Parent selection. Pure functions of the archive's scores and child counts: selection never stores."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dgm.config import Selection


@dataclass(slots=True)  # not frozen: thousands are made per decision, and frozen ones cost 3x to make
class Candidate:
    agent_id: int
    score: float
    n_children: int
    created_order: int  # larger = newer
    flagged: bool = False  # a suspected reward hacker (dgm/canaries.py)


class AllFlagged(ValueError):
    """Quarantine leaves nothing to choose from: every candidate is flagged."""

    def __init__(self, flagged: list[int]) -> None:
        super().__init__(f"every agent in the archive is flagged as a suspected reward hacker "
                         f"({', '.join(map(str, flagged))}), so none may be a parent (loop.quarantine_flagged)")
        self.flagged = flagged


def _score_child_prop(c: Candidate) -> float:
    # The paper's default: favour good agents, but less so the more children they already have,
    # so the search keeps exploring instead of hammering one branch.
    return 1.0 / (1.0 + math.exp(-10.0 * (c.score - 0.5))) / (1.0 + c.n_children)


def _score_prop(c: Candidate) -> float:
    return c.score


WEIGHTS: dict[str, Callable[[Candidate], float]] = {"score_child_prop": _score_child_prop, "score_prop": _score_prop}


def select_parents(candidates: Sequence[Candidate], n: int, method: Selection, rng: random.Random,
                   quarantine: bool = True) -> list[int]:
    """Choose ``n`` parent ids (with replacement, as in the paper); under ``quarantine`` a flagged
    candidate is never chosen, whatever the rule (AllFlagged when no other is left)."""
    if not candidates:
        raise ValueError("the archive has no agent to select from")
    if quarantine:
        flagged = [c.agent_id for c in candidates if c.flagged]
        candidates = [c for c in candidates if not c.flagged]
        if not candidates:
            raise AllFlagged(flagged)
    if method == "best":
        best = max(candidates, key=lambda c: (c.score, -c.created_order))
        return [best.agent_id] * n
    if method == "latest":  # the "without open-ended exploration" ablation
        return [max(candidates, key=lambda c: c.created_order).agent_id] * n
    if method == "random":
        return [rng.choice(candidates).agent_id for _ in range(n)]
    weights = [WEIGHTS[method](c) for c in candidates]
    if sum(weights) <= 0:  # every score is 0: fall back to uniform rather than refusing to evolve
        weights = [1.0] * len(candidates)
    return [c.agent_id for c in rng.choices(list(candidates), weights=weights, k=n)]
