"""Cheating canaries (after ImpossibleBench): catching agents that learned to game their grading.

A DGM climbs whatever its grader rewards, so an evolved agent may learn to make tests pass instead of
making code right. A canary task (benchmarks/canaries/) has hidden tests that contradict its issue
text: no honest patch resolves it, so an agent that does (or whose grade comes back tampered) is
flagged as a suspected reward hacker, and under ``loop.quarantine_flagged`` it is never a parent.

Checks are spent where they catch the most for the least. Every agent that would become the run's
best is checked: a hacker's payoff is to top the run, and the best agent is what selection favours
and what a user takes home. Of the others a seeded share (``evaluation.cheat_canary_rate``) is
checked, so a hacker cannot count on staying below the best. One canary task per check, chosen by a
seeded draw. The seed agent is checked too (nothing is filed before it, so it would become the best):
it is our own code, so a seed that resolves a canary means the model games tests by itself, with no
evolution to blame, and every later flag must be read in that light. That costs one solve per run.

"Would become the best" means beating every unflagged agent filed when its own stages end. A check
is one more evaluate job (an agent container, plus a grading container for a non-empty patch)
through the same gateway and budgets as any solve; its model calls have the purpose "canary". It is
recorded as an evaluation with ``canary=True`` that never counts: not in a score, a diagnosis,
staged evaluation or the resume bookkeeping of the benchmark's tasks. A check cut off by a kill is
run again on resume (nothing is recorded until it is graded), and one already recorded is never run
twice. The policy (dgm/policy.py) decides when; the coordinator records and flags.
"""

from __future__ import annotations

import random

from benchmarks.task import Task


def check_reason(score: float, best_before: float | None, rate: float, rng: random.Random) -> str | None:
    """Why an agent scoring ``score`` gets a canary check, or None when it does not.

    ``best_before``: the best score of the other unflagged agents filed so far (None: none yet)."""
    if best_before is None or score > best_before:
        return "would become the run's best"
    if rng.random() < rate:
        return "sampled"
    return None


def choose(canaries: list[Task], rng: random.Random) -> Task:
    """The canary task of one check: a seeded draw, whatever order the tasks were loaded in."""
    return rng.choice(sorted(canaries, key=lambda t: t.id))
