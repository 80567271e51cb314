"""One simulated run: a real policy deciding over a real RunState, the work applied as the coordinator
applies it (dgm/coordinator.py), with the jobs' results drawn from a landscape instead of containers.

The mapping, method by method (same names as the coordinator's):
    _start(Expand)    ``_plan``: the child's AgentState (parent, generation + 1, status running, a target)
                      is added, then its expand job runs (Resume: the same job for an existing child)
    expand result     a commit; gate failed (landscape.gate_fail) -> ``_finish(rejected)``; else validated
    _start(Evaluate)  an InFlight entry; on its result an EvalView (resolved, stage, not empty, not
                      tampered) goes to ``agent.evaluations`` (a canary check: ``agent.canary``); the entry leaves
    _settle           score = n_resolved / n_tasks; the seed is settled; a child gets ``_finish(status)``

``_settle`` of an agent that is already settled (hgm settles a child after its first task and again as
more results come in) updates its score only, as the coordinator does (``ScoreUpdated``).

Budgets: the run stops starting work once ``budget`` task evaluations have started (as a cost cap
would); work in flight ends and pending verdicts are still recorded. Workers: ``workers`` jobs in flight,
one finishing at a time (the oldest with one worker; a seeded draw among them with several).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.task import Task
from dgm.config import RunConfig
from dgm.errors import DgmError
from dgm.policies import Decision, make_policy
from dgm.policy import Evaluate, Expand, Resume, Settle, Work
from dgm.run_state import AgentState, EvalView, InFlight, RunState
from dgm.simulate.landscape import Landscape


def sim_tasks(n: int) -> list[Task]:
    root = Path("/nonexistent/simulated")
    return [Task(id=f"sim-{i:04d}", title=f"simulated task {i}", difficulty="any", kind="simulated", problem="",
                 root=root, test_command="true", fail_to_pass=(), pass_to_pass=(), repo_dir=root, hidden_dir=root,
                 benchmark="simulated") for i in range(n)]


def sim_config(policy: str, seed: int, budget: int, *, stages: list[int] | None = None, threshold: float = 0.4,
               alpha: float = 0.6, cooldown: bool = False, workers: int = 1) -> RunConfig:
    """A run's config for the simulator: the evaluation budget binds (attempts are all but unbounded)."""
    return RunConfig.model_validate({
        "loop": {"policy": policy, "seed": seed, "generations": budget, "parents_per_generation": 1, "workers": workers,
                 "hgm_alpha": alpha, "hgm_cooldown": cooldown, "max_evaluations": budget},
        "evaluation": {"cheat_canaries": False, "stage_sizes": stages, "stage_threshold": threshold}})


@dataclass
class Outcome:
    """What one run reached. ``trace``: (task evaluations done, true skill of the agent the run would hand
    over: the best by its recorded score) each time that agent changed."""

    policy: str
    seed: int
    evaluations: int
    attempts: int
    final_skill: float
    best_in_tree: float  # the best true skill of any agent that passed its gate (what an oracle would pick)
    trace: list[tuple[int, float]]
    decisions: list[Decision] = field(default_factory=list)

    def evaluations_to(self, skill: float) -> int | None:
        """Task evaluations after which the handed-over agent's true skill was at least ``skill`` and stayed
        so to the end of the run (a pick that reached it and fell back later has not reached it); None: never."""
        held = None
        for n, s in reversed(self.trace):
            if s < skill - 1e-12:
                break
            held = n
        return held


class Simulation:
    def __init__(self, config: RunConfig, landscape: Landscape, keep_decisions: bool = False) -> None:
        self.config = config
        self.landscape = landscape
        self.keep_decisions = keep_decisions
        self.tasks = sim_tasks(landscape.n_tasks)
        seed = config.loop.seed
        self.policy = make_policy(config, self.tasks, None, [], lambda *scope: random.Random(":".join(map(str, (seed, *scope)))))
        self.state = RunState()
        self.skill: dict[int, float] = {}
        self.ability: dict[int, float] = {}
        self._changes = random.Random(f"{seed}:{landscape.name}:changes")
        self._evals = random.Random(f"{seed}:{landscape.name}:evaluations")
        self._order = random.Random(f"{seed}:jobs")
        self._jobs: dict[str, Work] = {}
        self._job_number = 0
        self.started = 0  # task evaluations started (canaries aside)
        self.done = 0
        self.decisions: list[Decision] = []
        self.trace: list[tuple[int, float]] = []

    # -- the run --------------------------------------------------------------------------------------------
    def run(self) -> Outcome:
        seed = self.state.add(AgentState(id=1, parent_id=None, generation=0, status="seed", commit="sim-1", validated=True))
        self.skill[seed.id], self.ability[seed.id] = self.landscape.seed_skill, 1.0
        budget = self.config.loop.max_evaluations
        while True:
            stopped = self._fill(budget)
            if not self._jobs:
                if not stopped and not self.policy.exhausted(self.state):
                    raise DgmError("the search policy left work open but started none: a bug")
                break
            self._finish_one()
        best = max(self.skill[a.id] for a in self.state.agents.values() if a.validated)
        final = self.trace[-1][1] if self.trace else self.landscape.seed_skill  # the seed, if nothing settled
        return Outcome(self.config.loop.policy, self.config.loop.seed, self.done, self.state.attempts, final, best,
                       self.trace, self.decisions)

    def _fill(self, budget: int | None) -> bool:
        """Start work until the workers are busy or the policy waits; True once the budget stopped it."""
        while len(self._jobs) < self.config.loop.workers:
            work = self.policy.next(self.state)
            if work is None:
                return False
            decision = getattr(self.policy, "decision", None)
            if self.keep_decisions and decision is not None:
                self.decisions.append(decision)
            if isinstance(work, Settle):
                self._settle(work)
                continue
            if budget is not None and self.started >= budget:
                return True  # spent: nothing more starts (as a cost cap stops a run)
            self._start(work)
        return False

    def _finish_one(self) -> None:
        job_ids = list(self._jobs)
        job_id = job_ids[0] if self.config.loop.workers == 1 else self._order.choice(job_ids)
        work = self._jobs.pop(job_id)
        self.state.in_flight.pop(job_id)  # (the coordinator drops it at the job's exit, after its result)
        if isinstance(work, Evaluate):
            self._evaluated(work)
        else:
            assert isinstance(work, Resume)
            self._expanded(self.state.agents[work.child_id])

    # -- as the coordinator does ----------------------------------------------------------------------------------
    def _start(self, work: Work) -> None:
        if isinstance(work, Expand):
            work = Resume(self._plan(work.parent_id).id)
        self._job_number += 1
        job_id = f"sim-{self._job_number}"
        self._jobs[job_id] = work
        if isinstance(work, Evaluate):
            self.started += not work.canary
            self.state.in_flight[job_id] = InFlight(job_id, "evaluate", work.agent_id, work.task.id, work.canary)
        else:
            self.state.in_flight[job_id] = InFlight(job_id, "expand", work.child_id)

    def _plan(self, parent_id: int) -> AgentState:
        parent = self.state.agents[parent_id]
        child_id = max(self.state.agents) + 1
        child = self.state.add(AgentState(id=child_id, parent_id=parent_id, generation=parent.generation + 1,
                                          status="running", target=self.tasks[0].id))
        self.skill[child_id], self.ability[child_id] = self.landscape.child(
            self.skill[parent_id], self.ability[parent_id], self._changes)
        return child

    def _expanded(self, child: AgentState) -> None:
        child.diagnosis_json = "{}"
        if self._changes.random() < self.landscape.gate_fail:
            self._finish(child.id, "rejected", "failed its gate (simulated)")
            return
        child.commit = f"sim-{child.id}"
        child.validated = True

    def _evaluated(self, work: Evaluate) -> None:
        agent = self.state.agents[work.agent_id]
        resolved = False if work.canary else self.landscape.solves(self.skill[agent.id], self._evals)
        view = EvalView(resolved=resolved, empty=False, stage=work.stage, tampered=False, duration_s=1.0)
        if work.canary:
            agent.canary = (work.task.id, view)
        else:
            agent.evaluations[work.task.id] = view
            self.done += 1

    def _settle(self, work: Settle) -> None:
        agent = self.state.agents[work.agent_id]
        agent.score = work.n_resolved / work.n_tasks if work.n_tasks else 0.0
        if agent.settled:
            pass  # a later score of a settled agent: recorded, nothing else (see the module docstring)
        elif agent.is_seed:
            agent.settled = True
        else:
            self._finish(agent.id, work.status, work.reason)
        self._hand_over()

    def _finish(self, agent_id: int, status: str, reason: str | None) -> None:
        """A child's final status; its other jobs in flight are killed (their results never count)."""
        for job_id in [j.job_id for j in self.state.busy(agent_id)]:
            self._jobs.pop(job_id, None)
            self.state.in_flight.pop(job_id)
        agent = self.state.agents[agent_id]
        agent.status, agent.settled = status, True

    def _hand_over(self) -> None:
        """Follow the agent the run would hand over (the policy's ``recommend``: the best recorded score, hgm's
        among agents with a first stage's worth of results)."""
        best = self.policy.recommend(self.state)
        if best is None:
            return
        skill = self.skill[best.id]
        if not self.trace or self.trace[-1][1] != skill:
            self.trace.append((self.done, skill))


def simulate(policy: str, landscape: Landscape, seed: int, budget: int, keep_decisions: bool = False, **options) -> Outcome:
    """One run of ``policy`` on ``landscape`` with ``budget`` task evaluations (options: sim_config's)."""
    return Simulation(sim_config(policy, seed, budget, **options), landscape, keep_decisions).run()
