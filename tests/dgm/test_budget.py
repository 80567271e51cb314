"""The hard dollar cap: every call reserves its worst case first; a call that could pass the cap is
refused, never sent, and the run stops saying why, having spent no more than the cap."""

import json
import subprocess
import sys
import threading

import pytest

from archive_db import Archive
from dgm.budget import Budget, BudgetExhausted, worst_case_cost
from dgm.config import Price

PRICE = Price(input=1.0, output=4.0)


def test_reservations_count_calls_in_flight_and_settle_to_the_real_cost():
    budget = Budget(cap=1.0)
    budget.reserve(0.6, agent_id=1, task_id="t")
    with pytest.raises(BudgetExhausted, match=r"cost cap \$1.00 reached: \$0.0000 spent, \$0.6000 in flight"):
        budget.reserve(0.5, agent_id=2, task_id=None)  # 0.6 in flight + 0.5 would pass the cap
    assert budget.refused(2, None) and not budget.refused(1, "t") and budget.exhausted
    budget.settle(0.6, 0.1)
    assert (round(budget.spent, 6), round(budget.reserved, 6)) == (0.1, 0.0)
    budget.reserve(0.5, agent_id=3, task_id=None)  # fits now


def test_no_cap_only_accounts():
    budget = Budget(cap=None)
    for _ in range(100):
        budget.reserve(10.0, None, None)
    assert not budget.exhausted


def test_parallel_reservations_never_pass_the_cap():
    budget, granted = Budget(cap=1.0), []
    lock = threading.Lock()

    def grab() -> None:
        for _ in range(50):
            try:
                budget.reserve(0.03, None, None)
            except BudgetExhausted:
                return
            with lock:
                granted.append(0.03)

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(granted) <= 1.0 and len(granted) == 33


def test_the_worst_case_covers_the_prompt_generously_and_the_longest_answer():
    body = {"messages": [{"role": "user", "content": "x" * 4000}]}
    # 4000 characters are at most ~1,300 real tokens; the estimate assumes 2 characters per token.
    assert worst_case_cost(PRICE, body, assumed_max_output=1000) >= (2000 * 1.0 + 1000 * 4.0) / 1e6
    assert worst_case_cost(PRICE, {**body, "max_tokens": 10}, 1000) < worst_case_cost(PRICE, body, 1000)


@pytest.mark.docker
def test_a_run_stops_at_the_cap_without_passing_it_and_says_so(docker_client, tmp_path):
    run_dir = tmp_path / "run"
    tasks = "slugify-unicode,semver-prerelease-order,phonenorm-international-prefix,roman-subtractive-parsing"
    proc = subprocess.run([sys.executable, "-m", "dgm", "run", "--demo", "--run-dir", str(run_dir), "--tasks", tasks,
                           "--no-check", "--stage-sizes", "4", "--generations", "5", "--max-cost", "0.10"],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "stopped: cost cap $0.10 reached" in proc.stdout
    archive = Archive.in_dir(run_dir)
    try:
        run = archive.latest_run()
        assert run.status == "stopped" and run.reason.startswith("cost cap $0.10 reached")
        calls = archive.calls(run_id=run.id)
        spent = archive.cost(run_id=run.id)
        assert 0 < spent <= 0.10
        assert spent == pytest.approx(sum(c.cost_usd for c in calls if c.error is None))
        agents = archive.agents(run.id)
        assert any(a.status == "failed" and (a.reason or "").startswith("cost cap $0.10 reached") for a in agents)
        assert max(a.generation for a in agents) < 5  # it stopped early
    finally:
        archive.close()
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    [stop] = [e for e in events if e["event"] == "budget_exhausted"]
    assert stop["cap"] == 0.10 and stop["spent"] <= 0.10


def test_the_token_budget_reserves_and_refuses_like_the_dollar_cap():
    budget = Budget(cap=None, token_cap=10_000)
    budget.reserve(0.0, agent_id=1, task_id=None, tokens=6_000)
    with pytest.raises(BudgetExhausted, match="token budget 10,000 reached: 0 used, 6,000 in flight"):
        budget.reserve(0.0, agent_id=2, task_id=None, tokens=5_000)
    budget.settle(0.0, 0.0, reserved_tokens=6_000, actual_tokens=1_200)
    assert (budget.tokens_spent, budget.tokens_reserved) == (1_200, 0)
    budget.reserve(0.0, agent_id=3, task_id=None, tokens=5_000)  # fits now
    assert budget.summary() == "token budget 10,000 reached: 1,200 tokens used"


BUDGET_TASKS = "slugify-unicode,roman-subtractive-parsing,semver-prerelease-order"


def _demo(run_dir, *args, timeout=600):
    return subprocess.run([sys.executable, "-m", "dgm", "run", "--demo", "--run-dir", str(run_dir), "--tasks", BUDGET_TASKS, *args],
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.docker
def test_the_children_budget_stops_the_run_after_exactly_that_many_attempts(docker_client, tmp_path):
    run_dir = tmp_path / "run"
    proc = _demo(run_dir, "--no-check", "--generations", "5", "--parents", "2", "--max-children", "3")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "stopped: children budget 3 reached" in proc.stdout
    archive = Archive.in_dir(run_dir)
    try:
        run = archive.latest_run()
        agents = archive.agents(run.id)
        assert run.status == "stopped" and run.reason == "children budget 3 reached"
        assert len(agents) == 4  # the seed and exactly three attempts (not generations x parents = 10)
        by_id = {a.id: a for a in agents}
        assert all(a.generation == by_id[a.parent_id].generation + 1 for a in agents if a.parent_id)  # lineage depth
        assert all(a.status != "running" for a in agents)
    finally:
        archive.close()


@pytest.mark.docker
def test_the_token_budget_stops_the_run_without_passing_it(docker_client, tmp_path):
    run_dir = tmp_path / "run"
    # About five diagnoses' worth (~16,000 tokens each): reached in the second of the three generations.
    proc = _demo(run_dir, "--no-check", "--generations", "3", "--max-tokens", "80000")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "stopped: token budget 80,000 reached" in proc.stdout
    archive = Archive.in_dir(run_dir)
    try:
        run = archive.latest_run()
        used = archive.tokens(run_id=run.id)
        assert run.status == "stopped" and 0 < used <= 80_000
        assert max(a.generation for a in archive.agents(run.id)) < 3  # it stopped early
    finally:
        archive.close()


@pytest.mark.docker
def test_the_wall_time_budget_stops_the_run_and_a_resume_counts_the_time_already_used(docker_client, tmp_path):
    run_dir = tmp_path / "run"
    proc = _demo(run_dir, "--generations", "2", "--max-time", "3s")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "stopped: wall-time budget 3 s reached" in proc.stdout
    first = json.loads((run_dir / "heartbeat.json").read_text())["active_s"]
    assert first >= 3
    # Resumed with the same budget it stops again at once: the 3 s are spent across sessions.
    again = _demo(run_dir, "--resume", "--generations", "2", "--max-time", "3s")
    assert again.returncode == 0 and "stopped: wall-time budget 3 s reached" in again.stdout
    assert json.loads((run_dir / "heartbeat.json").read_text())["active_s"] >= first
    finished = _demo(run_dir, "--resume", "--generations", "1", "--max-time", "1h")
    assert finished.returncode == 0, finished.stderr[-3000:]
    archive = Archive.in_dir(run_dir)
    try:
        run = archive.latest_run()
        assert run.status == "finished"
        assert not [a for a in archive.agents(run.id) if a.status in ("running", "failed")]
    finally:
        archive.close()
