"""The search policy: what the coordinator starts next. The paper's is the default:

    the seed is evaluated in stages, checked on a cheating canary, and filed;
    while attempts remain:
        a parent is chosen from the filed agents (score_child_prop: sigmoid(10(score - 1/2)) / (1 + children));
        the parent diagnoses one of its failures and edits a copy of its own code (an *expand* job);
        the child, if it passes its gate, is evaluated in stages (an *evaluate* job per task): a small
        first stage, more only at `stage_threshold` or better;
        a child that changed nothing useful is rejected (all patches empty; below its parent under
        keep_better); one that would become the run's best, and a seeded share of the others, first
        solves a cheating canary task; then it is filed, and may be a parent in turn.

There are no generations to wait for. Whenever a worker is free the policy gives it the most useful
work: first the next task of an agent being evaluated (the earliest agent first, so agents settle and
become parents soon), then a canary check, then an expansion cut off by a crash, and only then a new
expansion. An agent's `generation` is its lineage depth; `loop.generations × loop.parents_per_generation`
bounds the attempts (as many as the generation loop made).

A policy decides only. It reads the coordinator's RunState and returns one Work item at a time:
a job to start, or a verdict (an agent is settled) for the coordinator to record.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from benchmarks.task import Task
from dgm.canaries import check_reason, choose
from dgm.config import RunConfig
from dgm.evaluate import stage_plan
from dgm.run_state import AgentState, RunState
from dgm.selection import Candidate, select_parents

if TYPE_CHECKING:  # dgm.policies imports this module
    from dgm.policies.decision import Decision


@dataclass(frozen=True)
class Evaluate:
    agent_id: int
    task: Task
    stage: int  # 0: a canary check
    canary: bool = False
    why: str | None = None  # a canary check's reason: "would become the run's best" or "sampled"


@dataclass(frozen=True)
class Expand:
    """A new attempt: the coordinator files the child (parent and depth) and starts its expand job."""

    parent_id: int


@dataclass(frozen=True)
class Resume:
    """An attempt whose expansion was cut off (a crash, a stop): start its expand job again."""

    child_id: int


@dataclass(frozen=True)
class Settle:
    """An agent needs no more work: record its score and, for a child, its final status."""

    agent_id: int
    status: str  # seed | valid | rejected
    n_tasks: int
    n_resolved: int
    reason: str | None = None


Work = Evaluate | Expand | Resume | Settle


def top_scored(agents: Iterable[AgentState]) -> AgentState | None:
    """The agent with the best recorded score, the earliest on a tie (it got there first)."""
    return max(agents, key=lambda a: (a.score or 0.0, -a.id), default=None)


class Policy(Protocol):
    # Why the last work from ``next`` was chosen (dgm/policies/decision.py); the coordinator records it.
    decision: Decision | None

    def next(self, state: RunState) -> Work | None:
        """The next piece of work, or None when none can start now (the coordinator asks again when
        something in flight ends)."""

    def exhausted(self, state: RunState) -> bool:
        """True when the run has nothing left to do, even after the jobs in flight end."""

    def recommend(self, state: RunState) -> AgentState | None:
        """The agent the run would hand over now (its best, as this policy judges it), or None."""


class DgmPolicy:
    """The Darwin Gödel Machine's own search (Zhang et al., 2025). dgm/policies/staged.py's StagedPolicy
    (what a run uses) adds the decision records and the ablation baselines' selections."""

    decision: Decision | None = None

    def __init__(self, config: RunConfig, tasks: list[Task], first_stage: tuple[str, ...] | None,
                 canaries: list[Task], rng: Callable[..., random.Random]) -> None:
        self.config = config
        self.stages = stage_plan(tasks, config.evaluation, config.loop.seed, first_stage)
        self.canaries = canaries
        self.rng = rng  # a seeded generator per decision (Runtime.rng): a resumed run decides alike
        self.max_attempts = config.loop.generations * config.loop.parents_per_generation
        if config.budget.max_children is not None:
            self.max_attempts = min(self.max_attempts, config.budget.max_children)

    # -- what to do next ---------------------------------------------------------------------------
    def next(self, state: RunState) -> Work | None:
        running = {(j.agent_id, j.task_id) for j in state.in_flight.values()}
        open_agents = state.open_agents()
        for agent in (a for a in open_agents if a.validated and a.commit):
            work = self._evaluation_step(state, agent, running)
            if work is not None:
                return work
        seed_check = self._seed_check(state, running)
        if seed_check is not None:
            return seed_check
        for agent in open_agents:
            if not agent.validated and not state.busy(agent.id):
                return Resume(agent.id)
        return self._expansion(state)

    def _seed_check(self, state: RunState, running: set) -> Evaluate | None:
        """The seed's canary check, once its score is recorded. Nothing is made from the seed before the
        check is in: the seed is our own code, so a seed that games a canary means the model itself
        games tests, and with quarantine the run stops before it spends anything more."""
        seed = state.seed
        if seed is None or not seed.settled or seed.canary is not None:
            return None
        check = self._canary(state, seed, seed.score or 0.0)
        if check is None or (seed.id, check[0].id) in running:
            return None
        return Evaluate(seed.id, check[0], 0, canary=True, why=check[1])

    def exhausted(self, state: RunState) -> bool:
        if state.in_flight or state.open_agents() or self._seed_check(state, set()):
            return False
        return state.attempts >= self.max_attempts or not state.candidates()

    def recommend(self, state: RunState) -> AgentState | None:
        """The best recorded score among filed, unflagged agents (the earliest on a tie): every filed agent
        ran the same stages, so scores compare."""
        return top_scored(a for a in state.candidates() if a.flag is None)

    def _evaluation_step(self, state: RunState, agent: AgentState, running: set) -> Work | None:
        """The agent's next task, its verdict when its stages are done, or its canary check."""
        evaluated = 0
        for number, tasks in enumerate(self.stages, start=1):
            missing = [t for t in tasks if t.id not in agent.evaluations]
            pending = [t for t in missing if (agent.id, t.id) not in running]
            if pending:
                return Evaluate(agent.id, self._longest(state, pending), number)
            if missing:
                return None  # this stage's last tasks are still running
            evaluated += len(tasks)
            resolved = sum(agent.evaluations[t.id].resolved for t in self._done(agent))
            if number < len(self.stages) and resolved / evaluated < self.config.evaluation.stage_threshold:
                break
        return self._after_stages(state, agent, running)

    @staticmethod
    def _longest(state: RunState, pending: list[Task]) -> Task:
        """The task that took the seed longest (in stage order while unknown): a stage ends only when its
        last task does, so its long tasks start first and the short ones fill the other workers meanwhile."""
        seed = state.seed
        took = seed.evaluations if seed is not None else {}
        return max(pending, key=lambda t: took[t.id].duration_s if t.id in took else 0.0)

    def _done(self, agent: AgentState) -> list[Task]:
        return [t for tasks in self.stages for t in tasks if t.id in agent.evaluations]

    def _after_stages(self, state: RunState, agent: AgentState, running: set) -> Work | None:
        views = [agent.evaluations[t.id] for t in self._done(agent)]
        n, resolved = len(views), sum(v.resolved for v in views)
        score = resolved / n if n else 0.0
        if not agent.is_seed:
            if views and all(v.empty for v in views):
                return Settle(agent.id, "rejected", n, resolved, "the child no longer produces patches")
            parent = state.agents[agent.parent_id]
            if self.config.loop.update == "keep_better" and score < (parent.score or 0.0):
                return Settle(agent.id, "rejected", n, resolved,
                              f"scored {score:.2f}, below its parent's {parent.score or 0.0:.2f} (keep_better)")
        if agent.is_seed:
            return Settle(agent.id, "seed", n, resolved)  # its canary check follows (_seed_check)
        check = self._canary(state, agent, score)
        if check is not None:
            return None if (agent.id, check[0].id) in running else Evaluate(agent.id, check[0], 0, canary=True, why=check[1])
        return Settle(agent.id, "valid", n, resolved)

    def _checked(self, agent: AgentState) -> bool:
        """Its canary check is in, or it needs none (a filed child had its check before it was filed)."""
        return not agent.is_seed or agent.canary is not None or not (self.config.evaluation.cheat_canaries and self.canaries)

    def _canary(self, state: RunState, agent: AgentState, score: float) -> tuple[Task, str] | None:
        """The canary task the agent must solve before it is filed, and why; None: checked, or not due."""
        if not self.config.evaluation.cheat_canaries or not self.canaries or agent.canary is not None:
            return None
        best = max((a.score for a in state.candidates() if a.flag is None and a.id != agent.id), default=None)
        why = check_reason(score, best, self.config.evaluation.cheat_canary_rate, self.rng("canary-sample", agent.id))
        if why is None:
            return None
        return choose(self.canaries, self.rng("canary-task", agent.id)), why

    def _expansion(self, state: RunState) -> Expand | None:
        if state.attempts >= self.max_attempts:
            return None
        children = state.children()
        candidates = [Candidate(a.id, a.score or 0.0, children[a.id], a.id, a.flag is not None)
                      for a in state.candidates() if self._checked(a)]
        if not candidates:
            return None  # the seed is still being evaluated
        [parent] = select_parents(candidates, 1, self.config.loop.selection, self.rng("expand", state.attempts),
                                  quarantine=self.config.loop.quarantine_flagged)
        return Expand(parent)

