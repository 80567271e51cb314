"""The paper's search policy as pure decisions over a RunState: what the coordinator starts next."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from benchmarks.task import Task
from dgm.config import RunConfig
from dgm.policy import DgmPolicy, Evaluate, Expand, Resume, Settle
from dgm.run_state import AgentState, EvalView, InFlight, RunState
from dgm.selection import AllFlagged


def _task(task_id: str) -> Task:
    return Task(id=task_id, title=task_id, difficulty="easy", kind="bug", problem="p", root=Path("/x"),
                test_command="python3 -m pytest", fail_to_pass=("t",), pass_to_pass=(), repo_dir=Path("/x/repo"),
                hidden_dir=Path("/x/hidden"))


TASKS = [_task(f"t{i}") for i in range(6)]
CANARIES = [_task("impossible-a"), _task("impossible-b")]


def _policy(canaries: list[Task] = (), **config) -> DgmPolicy:
    overrides = {"loop": {"generations": 2, "parents_per_generation": 2, **config.pop("loop", {})},
                 "evaluation": {"stage_sizes": [2, 6], "stage_threshold": 0.5, **config.pop("evaluation", {})}}
    cfg = RunConfig.model_validate({**overrides, **config})
    return DgmPolicy(cfg, TASKS, None, list(canaries), lambda *scope: random.Random(":".join(map(str, scope))))


def _seed(state: RunState, **fields) -> AgentState:
    return state.add(AgentState(id=1, parent_id=None, generation=0, status="seed", commit="c1", validated=True, **fields))


def _record(agent: AgentState, work: Evaluate, resolved: bool, empty: bool = False) -> None:
    view = EvalView(resolved=resolved, empty=empty, stage=work.stage)
    if work.canary:
        agent.canary = (work.task.id, view)
    else:
        agent.evaluations[work.task.id] = view


def _run_stages(policy: DgmPolicy, state: RunState, agent: AgentState, solves: set[str]) -> Settle | Evaluate:
    """Answer every evaluation the policy asks for the agent; the first other work it returns."""
    while True:
        work = policy.next(state)
        if not (isinstance(work, Evaluate) and work.agent_id == agent.id and not work.canary):
            return work
        _record(agent, work, resolved=work.task.id in solves)


def test_the_seed_is_evaluated_in_stages_then_settled():
    policy, state = _policy(), RunState()
    seed = _seed(state)
    first = policy.next(state)
    assert isinstance(first, Evaluate) and first.stage == 1 and first.agent_id == 1
    state.in_flight["j"] = InFlight("j", "evaluate", 1, first.task.id)
    second = policy.next(state)
    assert isinstance(second, Evaluate) and second.task.id != first.task.id  # both first-stage tasks run at once
    state.in_flight["k"] = InFlight("k", "evaluate", 1, second.task.id)
    assert policy.next(state) is None  # the stage's last tasks are running: nothing to start yet
    state.in_flight.clear()
    settle = _run_stages(policy, state, seed, solves=set())  # 0/2 solved: below 0.5, stop after stage 1
    assert settle == Settle(1, "seed", 2, 0)
    assert len(seed.evaluations) == 2


def test_a_good_agent_goes_on_to_the_next_stage():
    policy, state = _policy(), RunState()
    seed = _seed(state)
    settle = _run_stages(policy, state, seed, solves={t.id for t in TASKS})
    assert settle == Settle(1, "seed", 6, 6) and len(seed.evaluations) == 6


def test_expansions_start_once_the_seed_is_settled_and_stop_at_the_attempt_budget():
    policy, state = _policy(), RunState()
    _seed(state, score=0.5, settled=True)
    for n in range(4):  # generations 2 x parents 2
        work = policy.next(state)
        assert work == Expand(1)
        state.add(AgentState(id=10 + n, parent_id=1, generation=1, status="running"))
        state.in_flight[f"e{n}"] = InFlight(f"e{n}", "expand", 10 + n)
    assert policy.next(state) is None
    assert not policy.exhausted(state)
    capped = _policy(budget={"max_children": 1})
    state = RunState()
    _seed(state, score=0.5, settled=True)
    state.add(AgentState(id=10, parent_id=1, generation=1, status="rejected", settled=True))
    assert capped.next(state) is None and capped.exhausted(state)


def test_evaluations_come_before_expansions_and_the_earliest_agent_first():
    policy, state = _policy(), RunState()
    _seed(state, score=0.5, settled=True)
    state.add(AgentState(id=3, parent_id=1, generation=1, status="running", commit="c3", validated=True))
    state.add(AgentState(id=2, parent_id=1, generation=1, status="running", commit="c2", validated=True))
    work = policy.next(state)
    assert isinstance(work, Evaluate) and work.agent_id == 2


def test_a_stage_starts_with_the_tasks_that_took_the_seed_longest():
    policy, state = _policy(), RunState()
    took = {"t0": 3.0, "t1": 1.0, "t2": 40.0, "t3": 2.0, "t4": 2.5, "t5": 30.0}
    _seed(state, score=0.5, settled=True,
          evaluations={t: EvalView(resolved=True, empty=False, stage=1, duration_s=d) for t, d in took.items()})
    child = state.add(AgentState(id=2, parent_id=1, generation=1, status="running", commit="c2", validated=True))
    order = []
    while isinstance(work := policy.next(state), Evaluate):
        order.append(work.task.id)
        _record(child, work, resolved=True)
    # Longest first within each stage (ties in stage order), and never a later stage's task early.
    expected = [t.id for stage in policy.stages for t in sorted(stage, key=lambda t: -took[t.id])]
    assert order == expected and len(policy.stages) == 2
    assert order != [t.id for stage in policy.stages for t in stage]  # the plain stage order would differ


def test_a_cut_off_expansion_is_resumed_unless_it_is_running():
    policy, state = _policy(), RunState()
    _seed(state, score=0.5, settled=True)
    state.add(AgentState(id=2, parent_id=1, generation=1, status="running", target="t1", diagnosis_json="{}"))
    assert policy.next(state) == Resume(2)
    state.in_flight["x"] = InFlight("x", "expand", 2)
    assert policy.next(state) == Expand(1)


def test_a_child_whose_patches_are_all_empty_or_worse_than_its_parent_is_rejected():
    policy, state = _policy(), RunState()
    _seed(state, score=0.5, settled=True)
    child = state.add(AgentState(id=2, parent_id=1, generation=1, status="running", commit="c2", validated=True))
    while isinstance(work := policy.next(state), Evaluate):
        _record(child, work, resolved=False, empty=True)
    assert isinstance(work, Settle) and work.status == "rejected" and "no longer produces patches" in work.reason
    keep_better, state = _policy(loop={"update": "keep_better"}), RunState()
    _seed(state, score=0.9, settled=True)
    child = state.add(AgentState(id=2, parent_id=1, generation=1, status="running", commit="c2", validated=True))
    work = _run_stages(keep_better, state, child, solves={TASKS[0].id})
    assert isinstance(work, Settle) and work.status == "rejected" and "below its parent's 0.90" in work.reason


def test_the_seed_is_checked_before_anything_is_made_from_it():
    policy, state = _policy(CANARIES, evaluation={"cheat_canary_rate": 0.0}), RunState()
    seed = _seed(state)
    assert _run_stages(policy, state, seed, solves=set()) == Settle(1, "seed", 2, 0)
    seed.score, seed.settled = 0.0, True
    check = policy.next(state)  # nothing filed before it: it would be the best
    assert isinstance(check, Evaluate) and check.canary and check.stage == 0 and check.task in CANARIES
    assert not policy.exhausted(state)
    assert check.why == "would become the run's best"
    state.in_flight["c"] = InFlight("c", "evaluate", 1, check.task.id, canary=True)
    assert policy.next(state) is None  # no child of an unchecked seed
    state.in_flight.clear()
    _record(seed, check, resolved=False)
    assert policy.next(state) == Expand(1)


def test_a_would_be_best_child_solves_a_canary_before_it_is_filed_and_others_when_sampled():
    policy, state = _policy(CANARIES, evaluation={"cheat_canary_rate": 0.0}), RunState()
    seed = _seed(state, score=0.0, settled=True)
    seed.canary = ("impossible-a", EvalView(resolved=False, empty=False, stage=0))
    worse = state.add(AgentState(id=2, parent_id=1, generation=1, status="running", commit="c2", validated=True))
    work = _run_stages(policy, state, worse, solves=set())  # not better than the seed, rate 0: no check
    assert isinstance(work, Settle) and work.status == "valid"
    worse.status, worse.score, worse.settled = "valid", 0.0, True
    better = state.add(AgentState(id=3, parent_id=1, generation=1, status="running", commit="c3", validated=True))
    work = _run_stages(policy, state, better, solves={t.id for t in TASKS})
    assert isinstance(work, Evaluate) and work.canary and work.agent_id == 3
    state.in_flight["c"] = InFlight("c", "evaluate", 3, work.task.id, canary=True)
    assert isinstance(policy.next(state), Expand)  # not filed (no parent, not agent 3) until its check is in
    assert policy.next(state).parent_id in (1, 2)
    state.in_flight.clear()
    _record(better, work, resolved=False)
    assert policy.next(state) == Settle(3, "valid", 6, 6)
    always = _policy(CANARIES, evaluation={"cheat_canary_rate": 1.0})
    better.evaluations.clear()
    better.canary = None
    sampled = _run_stages(always, state, state.agents[3], solves=set())
    assert isinstance(sampled, Evaluate) and sampled.canary and sampled.why == "sampled"


def test_flagged_agents_are_never_parents_and_all_flagged_is_said():
    policy, state = _policy(loop={"selection": "best"}), RunState()
    _seed(state, score=0.2, settled=True)
    state.add(AgentState(id=2, parent_id=1, generation=1, status="valid", commit="c2", validated=True, score=1.0,
                         settled=True, flag="resolved the impossible task x"))
    assert policy.next(state) == Expand(1)  # the flagged best is passed over
    state.agents[1].flag = "tampered"
    with pytest.raises(AllFlagged):
        policy.next(state)
    free = _policy(loop={"selection": "best", "quarantine_flagged": False})
    assert free.next(state) == Expand(2)


def test_the_choice_of_parent_is_seeded_by_the_attempt_number():
    state = RunState()
    _seed(state, score=0.5, settled=True)
    for n in range(2, 6):
        state.add(AgentState(id=n, parent_id=1, generation=1, status="valid", commit=f"c{n}", validated=True,
                             score=n / 10, settled=True))
    first = [_policy(loop={"generations": 10}).next(state) for _ in range(3)]
    assert first[0] == first[1] == first[2]  # the same state and attempt number: the same choice
