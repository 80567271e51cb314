"""hgm as pure decisions over a RunState (dgm/policies/hgm.py): the expand-or-evaluate rule, Thompson
sampling over clades and over a node's own results, the optimistic start, a seed that solves nothing,
the cool-down, and the baselines' parent selections."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

from benchmarks.task import Task
from dgm.config import RunConfig
from dgm.policies import HgmPolicy, StagedPolicy, make_policy
from dgm.policies.tally import Tally
from dgm.policy import Evaluate, Expand, Settle
from dgm.run_state import AgentState, EvalView, InFlight, RunState


def _task(task_id: str) -> Task:
    return Task(id=task_id, title=task_id, difficulty="easy", kind="bug", problem="p", root=Path("/x"),
                test_command="true", fail_to_pass=("t",), pass_to_pass=(), repo_dir=Path("/x/repo"), hidden_dir=Path("/x/h"))


TASKS = [_task(f"t{i:02d}") for i in range(40)]


def _config(**loop) -> RunConfig:
    return RunConfig.model_validate({"loop": {"policy": "hgm", "generations": 100, "parents_per_generation": 1, **loop},
                                     "evaluation": {"cheat_canaries": False}})


def _policy(**loop) -> HgmPolicy:
    return HgmPolicy(_config(**loop), TASKS, None, [], lambda *scope: random.Random(":".join(map(str, scope))))


def _agent(state: RunState, agent_id: int, parent: int | None, passes: int, fails: int, settled: bool = True) -> AgentState:
    agent = state.add(AgentState(id=agent_id, parent_id=parent, generation=0 if parent is None else 1,
                                 status="seed" if parent is None else "valid", commit=f"c{agent_id}", validated=True))
    for i in range(passes + fails):
        agent.evaluations[TASKS[i].id] = EvalView(resolved=i < passes, empty=False, stage=1)
    if settled:
        agent.score, agent.settled = (passes / (passes + fails) if passes + fails else 0.0), True
    return agent


def _settle_all(policy: HgmPolicy, state: RunState) -> None:
    """Apply the verdicts the policy asks for first (as the coordinator would: a score, and settled)."""
    while isinstance(work := policy.next(state), Settle):
        agent = state.agents[work.agent_id]
        agent.score, agent.status, agent.settled = work.n_resolved / work.n_tasks, work.status, True


def test_a_new_seed_is_evaluated_first_then_settled_after_one_task():
    policy, state = _policy(), RunState()
    seed = state.add(AgentState(id=1, parent_id=None, generation=0, status="seed", commit="c1", validated=True))
    work = policy.next(state)
    assert isinstance(work, Evaluate) and work.agent_id == 1 and policy.decision.rule.startswith("optimistic start")
    seed.evaluations[work.task.id] = EvalView(resolved=True, empty=False, stage=1)
    assert policy.next(state) == Settle(1, "seed", 1, 1, None)


def _three_settled():
    """A seed with 2 passes and 2 fails, children at 1/1 and 0/1, all settled: 3 agents, 6 results."""
    policy, state = _policy(), RunState()
    _agent(state, 1, None, 2, 2)
    _agent(state, 2, 1, 1, 0)
    _agent(state, 3, 1, 0, 1)
    _settle_all(policy, state)
    return policy, state


def test_expand_when_evaluations_to_the_alpha_reach_the_nodes_else_evaluate():
    # 3 agents; 6 results: 6 ** 0.6 = 2.93 < 3 -> evaluate; 7 results: 3.21 >= 3 -> expand.
    policy, state = _three_settled()
    assert isinstance(policy.next(state), Evaluate)
    assert policy.decision.n_task_evals == 6 and policy.decision.n_nodes == 3
    state.agents[2].evaluations["t10"] = EvalView(resolved=False, empty=False, stage=1)
    _settle_all(policy, state)
    assert isinstance(policy.next(state), Expand)
    assert "evaluations ** alpha >= agents" in policy.decision.rule


def test_evaluations_in_flight_count_toward_the_rule():
    policy, state = _three_settled()
    state.in_flight["j"] = InFlight("j", "evaluate", 2, "t05")
    assert isinstance(policy.next(state), Expand)  # 7 ** 0.6 >= 3


def test_thompson_parent_choice_favours_the_better_clade():
    """Seed 1 has two children: 2 (clade 2 + grandchild 4: 18/20 passes) and 3 (2/20). Over many seeded
    decisions the parent drawn is mostly from the good clade, and the bad one is still tried sometimes
    less often than the good."""
    state = RunState()
    _agent(state, 1, None, 2, 8)
    _agent(state, 2, 1, 8, 2)
    _agent(state, 3, 1, 2, 18)
    _agent(state, 4, 2, 10, 0)
    clades = Tally().clades(state)
    assert (clades[2].n, clades[2].passes) == (20, 18) and (clades[1].n, clades[1].passes) == (50, 22)
    chosen = Counter()
    for seed in range(300):
        policy = HgmPolicy(_config(seed=seed, hgm_alpha=2.0), TASKS, None, [],
                           lambda *scope, s=seed: random.Random(":".join(map(str, (s, *scope)))))
        _settle_all(policy, state)
        work = policy.next(state)
        assert isinstance(work, Expand)
        chosen[work.parent_id] += 1
    assert chosen[2] + chosen[4] > 0.8 * 300
    assert chosen[3] < 0.05 * 300


def test_thompson_evaluation_choice_favours_the_better_node_and_picks_its_next_task():
    state = RunState()
    _agent(state, 1, None, 1, 9)
    _agent(state, 2, 1, 9, 1)
    chosen = Counter()
    for seed in range(200):
        policy = HgmPolicy(_config(seed=seed, hgm_alpha=0.1), TASKS, None, [],
                           lambda *scope, s=seed: random.Random(":".join(map(str, (s, *scope)))))
        _settle_all(policy, state)
        work = policy.next(state)
        assert isinstance(work, Evaluate) and work.task.id not in state.agents[work.agent_id].evaluations
        chosen[work.agent_id] += 1
    assert chosen[2] > 0.95 * 200


def test_a_node_with_no_results_is_evaluated_before_anything_else():
    policy, state = _policy(hgm_alpha=5.0), RunState()  # the rule alone would always expand
    _agent(state, 1, None, 5, 5)
    _settle_all(policy, state)
    state.add(AgentState(id=2, parent_id=1, generation=1, status="running", commit="c2", validated=True))
    work = policy.next(state)
    assert isinstance(work, Evaluate) and work.agent_id == 2
    state.agents[2].evaluations[work.task.id] = EvalView(resolved=False, empty=False, stage=1)
    settle = policy.next(state)
    assert isinstance(settle, Settle) and (settle.agent_id, settle.status, settle.n_tasks) == (2, "valid", 1)


def test_a_seed_that_solves_nothing_keeps_expanding_and_never_stalls():
    policy, state = _policy(hgm_alpha=0.1), RunState()  # the rule alone would keep re-measuring the zeros
    _agent(state, 1, None, 0, 12)
    _settle_all(policy, state)
    for child in range(2, 30):
        work = policy.next(state)
        assert isinstance(work, Expand), (child, work)
        assert "nothing has passed" in policy.decision.rule
        _agent(state, child, work.parent_id, 0, 1, settled=False)
        _settle_all(policy, state)
        assert state.agents[child].settled
    assert not policy.exhausted(state)


def test_more_results_re_settle_a_filed_agent_with_its_new_score():
    policy, state = _policy(), RunState()
    _agent(state, 1, None, 1, 1)
    _agent(state, 2, 1, 1, 0)
    _settle_all(policy, state)
    state.agents[2].evaluations["t30"] = EvalView(resolved=False, empty=False, stage=1)
    assert policy.next(state) == Settle(2, "valid", 2, 1)


def test_the_evaluation_budget_stops_new_work():
    policy, state = _policy(max_evaluations=4), RunState()
    _agent(state, 1, None, 2, 2)
    _settle_all(policy, state)
    assert policy.next(state) is None and policy.exhausted(state)


def test_the_cool_down_sharpens_the_draws_as_the_budget_is_spent():
    def spread(spent: int) -> float:
        state, policy = RunState(), _policy(hgm_cooldown=True, max_evaluations=100, hgm_alpha=0.01)
        _agent(state, 1, None, 3, 3)
        _settle_all(policy, state)
        temperature = policy._temperature(state, spent)
        rng = random.Random(7)
        draws = [rng.betavariate(4 / temperature, 4 / temperature) for _ in range(2000)]
        mean = sum(draws) / len(draws)
        return temperature, (sum((d - mean) ** 2 for d in draws) / len(draws)) ** 0.5

    (t_early, sd_early), (t_late, sd_late) = spread(0), spread(95)
    assert t_early == 1.0 and t_late < 0.2 and sd_late < sd_early / 2
    assert _policy()._temperature(RunState(), 95) == 1.0  # off by default


def test_the_baselines_use_their_parent_selection():
    state = RunState()
    _agent(state, 1, None, 2, 8)
    _agent(state, 2, 1, 9, 1)
    _agent(state, 3, 1, 4, 6)
    rng = lambda *scope: random.Random(":".join(map(str, scope)))  # noqa: E731
    config = RunConfig.model_validate({"loop": {"generations": 10}, "evaluation": {"cheat_canaries": False,
                                                                                   "stage_sizes": [10, 40]}})
    greedy = make_policy(config, TASKS, None, [], rng, "greedy")
    latest = make_policy(config, TASKS, None, [], rng, "latest")
    assert isinstance(greedy, StagedPolicy) and greedy.next(state) == Expand(2)
    assert greedy.decision.kind == "expand" and greedy.decision.chosen.clade_n == 10
    assert latest.next(state) == Expand(3)
    assert isinstance(make_policy(config, TASKS, None, [], rng, "hgm"), HgmPolicy)


def test_asking_whether_it_is_exhausted_loses_no_pending_score():
    policy, state = _policy(max_evaluations=3), RunState()
    _agent(state, 1, None, 1, 1)
    _settle_all(policy, state)
    state.agents[1].evaluations["t30"] = EvalView(resolved=True, empty=False, stage=1)
    assert not policy.exhausted(state)
    assert policy.next(state) == Settle(1, "seed", 3, 2)
    state.agents[1].score = 2 / 3
    assert policy.next(state) is None and policy.exhausted(state)
