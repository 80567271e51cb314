"""The search policies behind the Policy seam (dgm/policy.py), chosen by ``loop.policy``.

    dgm, greedy, random, latest   staged.py: the paper's staged evaluation with a parent selection
    hgm                           hgm.py: after the Huxley-Gödel Machine (expand or evaluate, per job)

Each records why it chose its last work in ``decision`` (decision.py); tally.py counts the 0/1
results of agents and clades. The simulator (dgm/simulate/, docs/SIMULATE.md) compares them.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from benchmarks.task import Task
from dgm.config import PolicyName, RunConfig
from dgm.policies.decision import Decision, Estimate
from dgm.policies.hgm import HgmPolicy
from dgm.policies.staged import StagedPolicy

__all__ = ["POLICIES", "Decision", "Estimate", "HgmPolicy", "StagedPolicy", "make_policy"]

POLICIES: tuple[PolicyName, ...] = ("dgm", "hgm", "greedy", "random", "latest")


def make_policy(config: RunConfig, tasks: list[Task], first_stage: tuple[str, ...] | None, canaries: list[Task],
                rng: Callable[..., random.Random], name: str | None = None) -> HgmPolicy | StagedPolicy:
    """The policy ``name`` (default: ``config.loop.policy``)."""
    name = name or config.loop.policy
    if name == "hgm":
        return HgmPolicy(config, tasks, first_stage, canaries, rng)
    return StagedPolicy(config, tasks, first_stage, canaries, rng, name)
