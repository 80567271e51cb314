"""`dgm` and its ablation baselines: the paper's staged evaluation (DgmPolicy) with a parent selection.

    dgm     the configured selection (loop.selection; score_child_prop by default)
    greedy  always the best so far (selection "best")
    random  any filed agent, uniformly (selection "random")
    latest  the newest filed agent (selection "latest": the paper's "without open-ended exploration")

Each also records why it chose (``decision``), and stops expanding once ``loop.max_evaluations`` task
evaluations are spent (the agents already made finish their stages).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from benchmarks.task import Task
from dgm.config import RunConfig
from dgm.policies.decision import Decision, Estimate
from dgm.policies.tally import Counts, Tally
from dgm.policy import DgmPolicy, Evaluate, Expand, Resume, Settle, Work
from dgm.run_state import RunState

SELECTIONS = {"greedy": "best", "random": "random", "latest": "latest"}


class StagedPolicy(DgmPolicy):
    def __init__(self, config: RunConfig, tasks: list[Task], first_stage: tuple[str, ...] | None,
                 canaries: list[Task], rng: Callable[..., random.Random], name: str = "dgm") -> None:
        if name in SELECTIONS:
            config = config.model_copy(update={"loop": config.loop.model_copy(update={"selection": SELECTIONS[name]})})
        super().__init__(config, tasks, first_stage, canaries, rng)
        self.name = name
        self.decision: Decision | None = None
        self._tally = Tally()

    def next(self, state: RunState) -> Work | None:
        work = super().next(state)
        self.decision = None if work is None else self._describe(state, work)
        return work

    def exhausted(self, state: RunState) -> bool:
        if super().exhausted(state):
            return True
        return not state.in_flight and not state.open_agents() and self._spent_all(state) and self.next(state) is None

    def _expansion(self, state: RunState) -> Expand | None:
        return None if self._spent_all(state) else super()._expansion(state)

    def _spent_all(self, state: RunState) -> bool:
        limit = self.config.loop.max_evaluations
        return limit is not None and self._tally.total(state).n + self._running(state) >= limit

    @staticmethod
    def _running(state: RunState) -> int:
        return sum(1 for j in state.in_flight.values() if j.kind == "evaluate" and not j.canary)

    def _describe(self, state: RunState, work: Work) -> Decision:
        own = self._tally.update(state)
        spent, nodes = sum(c.n for c in own.values()) + self._running(state), len(state.agents)
        if isinstance(work, Expand):
            clades = self._tally.clades(state)
            chosen = Estimate.of(work.parent_id, own.get(work.parent_id, Counts()), clades[work.parent_id])
            return Decision("expand", work.parent_id, f"parent by {self.config.loop.selection}", chosen,
                            considered=len(state.candidates()), n_task_evals=spent, n_nodes=nodes)
        if isinstance(work, Evaluate):
            counts = own.get(work.agent_id, Counts())
            rule = f"canary check: {work.why}" if work.canary else f"staged evaluation, stage {work.stage}"
            return Decision("canary" if work.canary else "evaluate", work.agent_id, rule,
                            Estimate.of(work.agent_id, counts, counts), n_task_evals=spent, n_nodes=nodes)
        if isinstance(work, Resume):
            return Decision("resume", work.child_id, "its expansion was cut off", n_task_evals=spent, n_nodes=nodes)
        assert isinstance(work, Settle)
        return Decision("settle", work.agent_id, work.reason or f"stages done: {work.status}",
                        n_task_evals=spent, n_nodes=nodes)
