"""The coordinator's picture of a run, in memory: every agent with its step results and evaluations,
and the jobs in flight. Built once from the archive (a resumed run starts from what was recorded)
and kept current by the coordinator as it records each fact, so the search policy decides without
reading the database (a decision costs microseconds, not a query over 5,000 agents).
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass, field

from archive_db import Agent, Archive, Evaluation

FILED = ("seed", "valid")


@dataclass
class EvalView:
    resolved: bool
    empty: bool
    stage: int
    tampered: bool = False
    duration_s: float = 0.0  # solving and grading it took this long


@dataclass
class AgentState:
    id: int
    parent_id: int | None
    generation: int  # lineage depth: the seed is 0, a child one more than its parent
    status: str  # seed | running | valid | rejected | failed | duplicate
    commit: str | None = None
    target: str | None = None
    diagnosis_json: str | None = None
    validated: bool = False  # passed its gate (the seed always has)
    score: float | None = None
    flag: str | None = None
    evaluations: dict[str, EvalView] = field(default_factory=dict)  # benchmark task id -> outcome
    canary: tuple[str, EvalView] | None = None  # its cheating-canary check, once recorded
    settled: bool = False  # the seed: scored; a child: filed (valid, after its canary check), rejected, failed or a duplicate
    duplicate_of: int | None = None  # the earlier agent with the same code (then never evaluated)

    @property
    def open(self) -> bool:
        return not self.settled

    @property
    def is_seed(self) -> bool:
        return self.parent_id is None

    @property
    def candidate(self) -> bool:
        """May be chosen as a parent: filed, scored and settled."""
        return self.settled and self.status in FILED and self.score is not None


@dataclass(frozen=True)
class InFlight:
    job_id: str
    kind: str  # expand | evaluate
    agent_id: int
    task_id: str | None = None
    canary: bool = False


@dataclass
class RunState:
    """Agents go in through ``add`` only. Counts and the open and filed agents are kept as agents are
    added and settled, so a decision over a 5,000-agent run walks a handful of open agents, not all."""

    agents: dict[int, AgentState] = field(default_factory=dict)
    in_flight: dict[str, InFlight] = field(default_factory=dict)
    _children: Counter[int] = field(default_factory=Counter, init=False, repr=False)
    _open: set[int] = field(default_factory=set, init=False, repr=False)
    _candidates: list[AgentState] = field(default_factory=list, init=False, repr=False)

    @property
    def seed(self) -> AgentState | None:
        return next((a for a in self.agents.values() if a.is_seed), None)

    @property
    def attempts(self) -> int:
        """Self-improvement attempts made so far (every agent but the seed), whatever became of them."""
        return self._children.total()

    def children(self) -> Counter[int]:
        """How many attempts each agent has parented (open and rejected ones count: the paper's n_children)."""
        return self._children

    def busy(self, agent_id: int) -> list[InFlight]:
        return [j for j in self.in_flight.values() if j.agent_id == agent_id]

    def add(self, agent: AgentState) -> AgentState:
        assert agent.id not in self.agents, agent.id
        self.agents[agent.id] = agent
        if agent.parent_id is not None:
            self._children[agent.parent_id] += 1
        self._open.add(agent.id)
        return agent

    def open_agents(self) -> list[AgentState]:
        """The agents not settled yet, by id. An agent settles once (``settled`` never goes back)."""
        for agent_id in [i for i in self._open if self.agents[i].settled]:
            self._open.discard(agent_id)
            agent = self.agents[agent_id]
            if agent.candidate:
                bisect.insort(self._candidates, agent, key=lambda a: a.id)
        return sorted((self.agents[i] for i in self._open), key=lambda a: a.id)

    def candidates(self) -> list[AgentState]:
        """The agents that may be parents (filed, scored, settled), by id: the order selection draws in."""
        self.open_agents()
        return self._candidates


def from_archive(archive: Archive, run_id: int, canaries: set[str]) -> RunState:
    """The run as the archive has it: what every agent has done so far."""
    state = RunState()
    for row in archive.agents(run_id):
        agent = state.add(_agent(row))
        for ev in archive.evaluations(row.id, canary=None):
            view = _view(ev)
            if ev.canary or ev.task_id in canaries:
                agent.canary = (ev.task_id, view)
            else:
                agent.evaluations[ev.task_id] = view
        # A child's evaluations start only after its gate: having one proves it passed.
        agent.validated = agent.is_seed or bool(agent.evaluations)
    seed = state.seed
    if seed is not None:
        seed.settled = seed.score is not None  # scored: its canary check, if due, is separate work
    return state


def _agent(row: Agent) -> AgentState:
    return AgentState(id=row.id, parent_id=row.parent_id, generation=row.generation, status=row.status, commit=row.commit,
                      target=row.target_task, diagnosis_json=row.diagnosis_json, score=row.score, flag=row.flag,
                      duplicate_of=row.duplicate_of, settled=row.status in ("valid", "rejected", "failed", "duplicate"))


def _view(ev: Evaluation) -> EvalView:
    return EvalView(resolved=ev.resolved, empty=ev.empty_patch, stage=ev.stage, tampered=ev.tampered is not None,
                    duration_s=ev.duration_s or 0.0)
