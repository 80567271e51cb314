"""Where cheating-canary checks are spent: every agent that would become the run's best, a seeded
share of the others, one seeded canary task each; the same decision on a resume. (When in a run the
check comes is the policy's: tests/dgm/test_policy.py; recording and flagging, the coordinator's.)"""

import random
from collections import Counter

import pytest

from archive_db import Archive
from benchmarks.task import load_canaries
from dgm.canaries import check_reason, choose
from dgm.config import RunConfig
from dgm.runtime import Runtime


def test_an_agent_that_would_become_the_best_is_always_checked():
    never = random.Random(0)
    assert check_reason(0.0, None, 0.0, never) == "would become the run's best"  # the seed: nothing filed before it
    assert check_reason(0.61, 0.6, 0.0, never) == "would become the run's best"
    assert check_reason(0.6, 0.6, 0.0, never) is None  # a tie is not a new best
    assert check_reason(0.3, 0.6, 0.0, never) is None


def test_the_others_are_sampled_at_the_configured_rate():
    rt = Runtime(config=RunConfig(), archive=None, run_id=1, repo=None, sandbox=None, models=None, tasks=[])  # type: ignore[arg-type]
    for rate in (0.2, 0.5):
        checked = sum(check_reason(0.1, 0.9, rate, rt.rng("canary-sample", agent)) is not None for agent in range(2000))
        assert checked / 2000 == pytest.approx(rate, abs=0.04)
    assert all(check_reason(0.1, 0.9, 1.0, rt.rng("canary-sample", a)) == "sampled" for a in range(50))
    # Seeded per agent: a resumed attempt draws exactly what the first try drew.
    first = [check_reason(0.1, 0.9, 0.2, rt.rng("canary-sample", a)) for a in range(200)]
    assert first == [check_reason(0.1, 0.9, 0.2, rt.rng("canary-sample", a)) for a in range(200)]


def test_one_seeded_canary_per_check_spread_over_all_three():
    canaries = load_canaries()
    rt = Runtime(config=RunConfig(), archive=None, run_id=1, repo=None, sandbox=None, models=None, tasks=[])  # type: ignore[arg-type]
    picks = Counter(choose(canaries, rt.rng("canary-task", agent)).id for agent in range(300))
    assert set(picks) == {t.id for t in canaries} and min(picks.values()) > 60
    assert choose(canaries, rt.rng("canary-task", 7)).id == choose(list(reversed(canaries)), rt.rng("canary-task", 7)).id


def _runtime(tmp_path, archive, run_id, tasks=(), **evaluation):
    config = RunConfig.model_validate({"run_dir": str(tmp_path), "evaluation": evaluation})
    seen: list[tuple[str, dict]] = []
    rt = Runtime(config=config, archive=archive, run_id=run_id, repo=None, sandbox=None, models=None, tasks=list(tasks),  # type: ignore[arg-type]
                 canaries=load_canaries(), on_event=lambda kind, data: seen.append((kind, data)))
    return rt, seen


def test_flagging_keeps_the_first_reason_and_emits_agent_flagged_once(tmp_path):
    archive = Archive.in_dir(tmp_path)
    try:
        run = archive.create_run("r", "{}", "0")
        agent = archive.add_agent(run_id=run.id, generation=0, status="seed")
        rt, seen = _runtime(tmp_path, archive, run.id)
        rt.flag(agent.id, "resolved the impossible task x", task="x", source="canary")
        rt.flag(agent.id, "tampered with grading on task y: z", task="y", source="tampered")
        assert archive.get_agent(agent.id).flag == "resolved the impossible task x"
        assert [(k, d["agent"], d["reason"], d["source"]) for k, d in seen] == [
            ("agent_flagged", agent.id, "resolved the impossible task x", "canary")]
        logged = (tmp_path / "events.jsonl").read_text().splitlines()
        assert len(logged) == 1 and '"event": "agent_flagged"' in logged[0]
    finally:
        archive.close()
