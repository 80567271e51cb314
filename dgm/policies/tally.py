"""Each agent's 0/1 task results as counts, and its clade's (the agent and all its descendants).

Counted from RunState alone, incrementally: an agent's evaluations only ever grow (a task is recorded
once), so each decision adds the results recorded since the last one instead of walking every
evaluation of the run again. A policy built afresh on resume simply counts everything once.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice

from dgm.run_state import RunState


@dataclass(slots=True)  # not frozen: thousands are made per decision, and frozen ones cost more to make
class Counts:
    n: int = 0
    passes: int = 0

    @property
    def fails(self) -> int:
        return self.n - self.passes

    @property
    def mean(self) -> float | None:
        return self.passes / self.n if self.n else None

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.n + other.n, self.passes + other.passes)


ZERO = Counts()  # never changed: counts are replaced, not updated


class Tally:
    def __init__(self) -> None:
        self.own: dict[int, Counts] = {}
        self.changed: set[int] = set()  # agents whose counts changed since the caller last emptied this

    def update(self, state: RunState) -> dict[int, Counts]:
        """Every agent's own counts (benchmark tasks only: canary checks never count)."""
        own = self.own
        for agent_id, agent in state.agents.items():
            seen = own.get(agent_id, ZERO)
            n = len(agent.evaluations)
            if n == seen.n:
                continue
            if n < seen.n:  # a state rebuilt under us: count again from the start
                seen = ZERO
            new = islice(agent.evaluations.values(), seen.n, None)
            own[agent_id] = Counts(n, seen.passes + sum(v.resolved for v in new))
            self.changed.add(agent_id)
        return own

    def clades(self, state: RunState) -> dict[int, Counts]:
        """Each agent's clade counts: its own results pooled with every descendant's. Agents are added
        to a RunState after their parent, so one pass from the newest to the oldest sums each subtree."""
        own = self.update(state)
        clade = {agent_id: own.get(agent_id, ZERO) for agent_id in state.agents}
        for agent in reversed(list(state.agents.values())):
            if agent.parent_id is not None and agent.parent_id in clade:
                clade[agent.parent_id] = clade[agent.parent_id] + clade[agent.id]
        return clade

    def total(self, state: RunState) -> Counts:
        own = self.update(state)
        return Counts(sum(c.n for c in own.values()), sum(c.passes for c in own.values()))
