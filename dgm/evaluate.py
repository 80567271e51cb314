"""Staged evaluation: an agent runs on a small first stage, and on more tasks only if it does well.

This module plans the stages; the policy (dgm/policy.py) walks them, and each task is an evaluate
job (dgm/job_work.py): the agent solves in its own container, a fresh container grades.
"""

from __future__ import annotations

import random
from itertools import pairwise

from benchmarks.task import Task
from dgm.config import EvaluationConfig


def default_stage_sizes(n_tasks: int) -> list[int]:
    # The paper: 10 tasks, then 60, then the full set. Scaled: about a third, then everything.
    first = min(n_tasks, max(3, round(n_tasks * 0.3)))
    return [first] if first >= n_tasks else [first, n_tasks]


def stage_plan(tasks: list[Task], config: EvaluationConfig, seed: int, first_stage: tuple[str, ...] | None = None) -> list[list[Task]]:
    """Disjoint stages. The suite's own first stage when it has one (and no sizes are configured);
    otherwise the first stage is a seeded shuffle so it mixes difficulties."""
    order = list(tasks)
    random.Random(seed).shuffle(order)
    first = [t for t in tasks if t.id in set(first_stage or ())]
    if first and config.stage_sizes is None:
        rest = [t for t in order if t not in first]
        return [first, rest] if rest else [first]
    sizes = [min(s, len(order)) for s in (config.stage_sizes or default_stage_sizes(len(order)))]
    bounds = [0, *sorted(set(sizes))]
    return [order[a:b] for a, b in pairwise(bounds) if b > a]
