"""`hgm`: a search after the Huxley-Gödel Machine (Wang et al., ICLR 2026), from its published description.

The DGM spends a fixed, staged evaluation on every child. HGM decides job by job whether the run
learns more from a new child or from one more task on an agent it has already made, and on which:

    a node's *clade* is the node and all its descendants; its clade estimate pools their 0/1 results;
    whenever a worker is free:
        a new child (the node's results still unknown) is evaluated first: one task (optimistic start);
        if  n_task_evals ** alpha >= n_nodes:            (alpha = loop.hgm_alpha, 0.6)
            EXPAND: the parent is a Thompson draw over Beta(1 + clade passes, 1 + clade fails)
        else:
            EVALUATE one more task on the node whose draw from Beta(1 + own passes, 1 + own fails) is
            highest, among nodes with tasks left; the task is the node's next in a seeded order of the suite.

``n_task_evals`` counts the run's task evaluations, done or in flight (canary checks never count);
``n_nodes`` counts every agent in the tree, the seed and every attempt whatever became of it (a child
that failed its gate cost an expansion too). A node is a candidate (parent, or more evaluation) once
settled: a validated child is settled ``valid`` after its first task, with the score of that task, and
settled again (``Settle`` with the same status) whenever more of its results are in, so its recorded
score is always its mean so far. hgm keeps every validated child (its estimates do the pruning;
``loop.update`` does not apply) and rejects none for its score.

Cool-down (``loop.hgm_cooldown``, off by default): every Beta draw uses parameters divided by a
temperature T that falls linearly from 1 to 0.1 as the budget is used (the evaluation budget when
``loop.max_evaluations`` is set, otherwise the attempts), so late choices follow the means more closely.

A seed that solves nothing: the expansion rule counts evaluations, not successes, so it never stalls.
But while nothing in the tree has passed, another task on a node at 0/k teaches nothing, so once
ZERO_EVIDENCE task results are in and none passed, hgm expands whenever attempts remain (each child
still gets its optimistic first task; the parent draw then favours the least-tried clades) until
something passes. It stops only when attempts and evaluations are spent.

Budgets: ``loop.generations x loop.parents_per_generation`` (and ``budget.max_children``) bound the
attempts as for the DGM; ``loop.max_evaluations`` bounds the task evaluations started (a new child is
expanded only while an evaluation is left for its first task). Canaries: a child that would become
the run's best, and a seeded share of the others, is checked before its first settlement, as in the
DGM; and because hgm's scores keep moving, whichever filed agent is the run's best is checked when it
becomes so (the seed first: nothing is made from it before its check). Flagged agents are never
evaluated further, nor (under ``loop.quarantine_flagged``) chosen as parents.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable

from benchmarks.task import Task
from dgm.canaries import check_reason, choose
from dgm.config import RunConfig
from dgm.evaluate import stage_plan
from dgm.policies.decision import Decision, Estimate
from dgm.policies.tally import ZERO, Counts, Tally
from dgm.policy import Evaluate, Expand, Resume, Settle, Work, top_scored
from dgm.run_state import AgentState, RunState
from dgm.selection import AllFlagged

ZERO_EVIDENCE = 10  # task results with no pass anywhere after which hgm stops re-measuring zeros
T_MIN = 0.1  # the cool-down's final temperature


def attempt_bound(config: RunConfig) -> int:
    bound = config.loop.generations * config.loop.parents_per_generation
    return bound if config.budget.max_children is None else min(bound, config.budget.max_children)


class HgmPolicy:
    """Huxley-Gödel Machine-style search: expand or evaluate, decided one job at a time."""

    def __init__(self, config: RunConfig, tasks: list[Task], first_stage: tuple[str, ...] | None,
                 canaries: list[Task], rng: Callable[..., random.Random]) -> None:
        self.config = config
        self.tasks = sorted(tasks, key=lambda t: t.id)  # first_stage: hgm has no stages
        self.canaries = canaries
        self.rng = rng  # a seeded generator per decision (Runtime.rng): a resumed run decides alike
        self.alpha = config.loop.hgm_alpha
        self.max_attempts = attempt_bound(config)
        self.max_evaluations = config.loop.max_evaluations
        self.min_evidence = len(stage_plan(tasks, config.evaluation, config.loop.seed, first_stage)[0]) if tasks else 0
        self.decision: Decision | None = None  # why the last work was chosen
        self._tally = Tally()
        self._orders: dict[int, list[Task]] = {}
        self._cursor: Counter[int] = Counter()  # tasks of the agent's order known to be evaluated
        self._scored: dict[int, int] = {}  # agent -> results its recorded score covers (this process)

    # -- the Policy seam ------------------------------------------------------------------------------
    def next(self, state: RunState) -> Work | None:
        work, self.decision = self._decide(state)
        if isinstance(work, Settle):
            self._scored[work.agent_id] = work.n_tasks
        return work

    def exhausted(self, state: RunState) -> bool:
        if state.in_flight:
            return False
        try:
            return self._decide(state)[0] is None
        except AllFlagged:
            return True

    def recommend(self, state: RunState) -> AgentState | None:
        """The agent the run hands over: the best recorded score among filed, unflagged agents with at least
        the DGM's first-stage number of results (a node at 1/1 is a guess, not an agent to ship); any, if none."""
        candidates = [a for a in state.candidates() if a.flag is None]
        own = self._tally.update(state)
        proven = [a for a in candidates if own.get(a.id, ZERO).n >= self.min_evidence]
        return top_scored(proven or candidates)

    # -- deciding ----------------------------------------------------------------------------------------
    def _decide(self, state: RunState) -> tuple[Work | None, Decision | None]:
        own = self._tally.update(state)
        running = Counter(j.agent_id for j in state.in_flight.values() if j.kind == "evaluate" and not j.canary)
        busy_tasks = {(j.agent_id, j.task_id) for j in state.in_flight.values()}
        spent = sum(c.n for c in own.values()) + running.total()
        for step in (self._open, self._rescore, self._best_check):
            found = step(state, own, running, busy_tasks, spent)
            if found[0] is not None:
                return found
        return self._grow_or_measure(state, own, running, busy_tasks, spent)

    def _open(self, state: RunState, own: dict[int, Counts], running: Counter[int], busy_tasks: set,
              spent: int) -> tuple[Work | None, Decision | None]:
        """Agents not settled yet: an expansion to resume, a new child's first task, its first verdict."""
        for agent in state.open_agents():
            counts = own.get(agent.id, ZERO)
            if not agent.validated:
                if not state.busy(agent.id):
                    return Resume(agent.id), Decision("resume", agent.id, "its expansion was cut off")
            elif counts.n:
                work = self._first_verdict(state, agent, counts, busy_tasks)
                if work is not None:
                    return work, Decision("canary" if isinstance(work, Evaluate) else "settle", agent.id,
                                          "first result in", Estimate.of(agent.id, counts, counts))
            elif not running[agent.id]:
                if not self._evaluations_left(spent):
                    return Settle(agent.id, "rejected", 0, 0, "the evaluation budget ran out before its first task"), \
                        Decision("settle", agent.id, "evaluation budget spent")
                return Evaluate(agent.id, self._next_task(agent, busy_tasks), 1), Decision(
                    "evaluate", agent.id, "optimistic start: a node with no results is evaluated first",
                    Estimate.of(agent.id, counts, counts), n_task_evals=spent, n_nodes=len(state.agents))
        return None, None

    def _first_verdict(self, state: RunState, agent: AgentState, counts: Counts, busy_tasks: set) -> Work | None:
        status = "seed" if agent.is_seed else "valid"
        if not agent.is_seed:
            check = self._canary(state, agent, counts.passes / counts.n)
            if check is not None:
                return None if (agent.id, check[0].id) in busy_tasks else Evaluate(agent.id, check[0], 0, canary=True, why=check[1])
        return Settle(agent.id, status, counts.n, counts.passes,
                      None if agent.is_seed else "first task evaluated (hgm evaluates it further as it chooses)")

    def _rescore(self, state: RunState, own: dict[int, Counts], running: Counter[int], busy_tasks: set,
                 spent: int) -> tuple[Work | None, Decision | None]:
        """A filed agent with results its recorded score does not cover yet: settled again (score only)."""
        for agent_id in sorted(self._tally.changed):
            agent, counts = state.agents[agent_id], own.get(agent_id, ZERO)
            if not agent.candidate:
                if agent.settled:  # rejected or failed: its score stays
                    self._tally.changed.discard(agent_id)
                continue  # an open agent's first verdict is _open's
            if counts.n and self._scored.get(agent.id) != counts.n:
                return (Settle(agent.id, agent.status, counts.n, counts.passes),
                        Decision("settle", agent.id, "more results in: its score follows them", Estimate.of(agent.id, counts, counts)))
            self._tally.changed.discard(agent_id)  # its score is current (discarded only then: exhausted() decides too)
        return None, None

    def _best_check(self, state: RunState, own: dict[int, Counts], running: Counter[int], busy_tasks: set,
                    spent: int) -> tuple[Work | None, Decision | None]:
        """The run's best filed agent (what it would hand over) has had its canary check."""
        if not self._canaries_on():
            return None, None
        best = top_scored(a for a in state.candidates() if a.flag is None)
        if best is None or best.canary is not None:
            return None, None
        task = choose(self.canaries, self.rng("canary-task", best.id))
        if (best.id, task.id) in busy_tasks:
            return None, None
        return Evaluate(best.id, task, 0, canary=True, why="the run's best"), Decision("canary", best.id, "the run's best")

    def _grow_or_measure(self, state: RunState, own: dict[int, Counts], running: Counter[int], busy_tasks: set,
                         spent: int) -> tuple[Work | None, Decision | None]:
        temperature = self._temperature(state, spent)
        parents = self._parents(state)
        can_expand = bool(parents) and state.attempts < self.max_attempts and self._evaluations_left(spent + self._unmeasured(state, own))
        measurable = [a for a in state.candidates()
                      if a.flag is None and own.get(a.id, ZERO).n + running[a.id] < len(self.tasks)]
        can_evaluate = bool(measurable) and self._evaluations_left(spent)
        total = Counts(sum(c.n for c in own.values()), sum(c.passes for c in own.values()))
        if total.n >= ZERO_EVIDENCE and total.passes == 0:
            rule = f"nothing has passed in {total.n} results: grow rather than re-measure zeros"
        elif spent ** self.alpha >= len(state.agents):
            rule = f"evaluations ** alpha >= agents ({spent} ** {self.alpha} >= {len(state.agents)})"
        else:
            rule = None
        if can_expand and (rule is not None or not can_evaluate):
            clades = self._tally.clades(state)
            rng = self.rng("hgm-expand", state.attempts, spent)
            chosen, runner_up = _thompson([(a.id, own.get(a.id, ZERO), clades[a.id]) for a in parents],
                                          lambda o, c: c, temperature, rng)
            return Expand(chosen.agent_id), Decision(
                "expand", chosen.agent_id, (rule or "every agent has run the whole suite") + "; parent by Thompson over clades",
                chosen, runner_up, len(parents), spent, len(state.agents), temperature)
        if can_evaluate:
            rng = self.rng("hgm-evaluate", spent, len(state.agents))
            candidates = [(a.id, own.get(a.id, ZERO), own.get(a.id, ZERO)) for a in measurable]
            chosen, runner_up = _thompson(candidates, lambda o, c: o, temperature, rng)
            agent = state.agents[chosen.agent_id]
            return Evaluate(agent.id, self._next_task(agent, busy_tasks), 1), Decision(
                "evaluate", agent.id, "evaluations ** alpha < agents; node by Thompson over its own results",
                chosen, runner_up, len(measurable), spent, len(state.agents), temperature)
        return None, None

    # -- pieces --------------------------------------------------------------------------------------------
    def _parents(self, state: RunState) -> list[AgentState]:
        checked = [a for a in state.candidates() if not a.is_seed or a.canary is not None or not self._canaries_on()]
        if not self.config.loop.quarantine_flagged:
            return checked
        clean = [a for a in checked if a.flag is None]
        if checked and not clean:
            raise AllFlagged([a.id for a in checked])
        return clean

    def _unmeasured(self, state: RunState, own: dict[int, Counts]) -> int:
        """Open attempts still owed their first task (one evaluation each is kept for them)."""
        return sum(1 for a in state.open_agents() if not own.get(a.id, ZERO).n)

    def _evaluations_left(self, spent: int) -> bool:
        return self.max_evaluations is None or spent < self.max_evaluations

    def _temperature(self, state: RunState, spent: int) -> float:
        if not self.config.loop.hgm_cooldown:
            return 1.0
        if self.max_evaluations is not None:
            used = spent / self.max_evaluations
        else:
            used = state.attempts / self.max_attempts if self.max_attempts else 1.0
        return max(T_MIN, 1.0 - (1.0 - T_MIN) * min(1.0, used))

    def _next_task(self, agent: AgentState, busy_tasks: set) -> Task:
        """The agent's next task in its own seeded order of the suite (one not evaluated nor running)."""
        order = self._orders.get(agent.id)
        if order is None:
            order = list(self.tasks)
            random.Random(f"{self.config.loop.seed}:hgm-order:{agent.id}").shuffle(order)
            self._orders[agent.id] = order
        start = self._cursor[agent.id]
        while start < len(order) and order[start].id in agent.evaluations:
            start += 1
        self._cursor[agent.id] = start
        return next(t for t in order[start:] if t.id not in agent.evaluations and (agent.id, t.id) not in busy_tasks)

    def _canaries_on(self) -> bool:
        return self.config.evaluation.cheat_canaries and bool(self.canaries)

    def _canary(self, state: RunState, agent: AgentState, score: float) -> tuple[Task, str] | None:
        if not self._canaries_on() or agent.canary is not None:
            return None
        best = max((a.score for a in state.candidates() if a.flag is None and a.id != agent.id), default=None)
        why = check_reason(score, best, self.config.evaluation.cheat_canary_rate, self.rng("canary-sample", agent.id))
        return None if why is None else (choose(self.canaries, self.rng("canary-task", agent.id)), why)


def _thompson(candidates: list[tuple[int, Counts, Counts]], pick: Callable[[Counts, Counts], Counts],
              temperature: float, rng: random.Random) -> tuple[Estimate, Estimate | None]:
    """The candidate whose draw from Beta((1 + passes) / T, (1 + fails) / T) is highest, and the runner-up."""
    beta = rng.betavariate
    draws = sorted(((beta((1 + c.passes) / temperature, (1 + c.n - c.passes) / temperature), i)
                    for i, c in enumerate(pick(own, clade) for _, own, clade in candidates)), reverse=True)[:2]
    chosen, *rest = [Estimate.of(*candidates[i], sample) for sample, i in draws]
    return chosen, (rest[0] if rest else None)
