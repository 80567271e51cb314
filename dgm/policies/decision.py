"""Why a policy chose what it chose: a small record per decision, for the run to keep (the coordinator
records it in a later step; the simulator collects them now) and the dashboard to show."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from dgm.policies.tally import Counts


@dataclass(frozen=True)
class Estimate:
    """What the policy knew of one agent: its own results, its clade's, and the draw it made (if any)."""

    agent_id: int
    own_n: int
    own_passes: int
    clade_n: int
    clade_passes: int
    sample: float | None = None  # the Thompson draw that decided, when one did

    @classmethod
    def of(cls, agent_id: int, own: Counts, clade: Counts, sample: float | None = None) -> Estimate:
        return cls(agent_id, own.n, own.passes, clade.n, clade.passes, sample)

    @property
    def own_mean(self) -> float | None:
        return self.own_passes / self.own_n if self.own_n else None

    @property
    def clade_mean(self) -> float | None:
        return self.clade_passes / self.clade_n if self.clade_n else None


@dataclass(frozen=True)
class Decision:
    kind: str  # evaluate | expand | resume | settle | canary
    agent_id: int  # the agent evaluated, expanded (the parent), resumed or settled
    rule: str  # why, in words: "optimistic start", "evaluations ** alpha >= agents", "staged evaluation, stage 1", ...
    chosen: Estimate | None = None
    runner_up: Estimate | None = None  # the best of the others, when a draw decided
    considered: int = 0  # how many agents the choice was among
    n_task_evals: int = 0  # task evaluations done or in flight when it decided
    n_nodes: int = 0  # agents in the tree
    temperature: float = 1.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
