import json
import threading

import pytest
from sqlalchemy.exc import IntegrityError

from archive_db import Archive
from dgm.errors import NotFoundError


@pytest.fixture()
def archive(tmp_path):
    a = Archive.in_dir(tmp_path)
    yield a
    a.close()


def test_lineage_and_children_counts(archive):
    run = archive.create_run("r", "{}", "0.1")
    seed = archive.add_agent(run_id=run.id, parent_id=None, generation=0, status="seed")
    kids = [archive.add_agent(run_id=run.id, parent_id=seed.id, generation=1, status=s) for s in ("valid", "rejected")]
    archive.add_agent(run_id=run.id, parent_id=kids[0].id, generation=2, status="running")
    counts = archive.children_counts(run.id)
    assert counts[seed.id] == 2 and counts[kids[0].id] == 1 and counts[kids[1].id] == 0
    assert [a.id for a in archive.agents(run.id, statuses=["seed", "valid"])] == [seed.id, kids[0].id]


def test_update_and_unknown_ids(archive):
    run = archive.create_run("r", "{}", "0.1")
    agent = archive.add_agent(run_id=run.id, parent_id=None, generation=0, status="seed")
    archive.update_agent(agent.id, score=0.75, reason="x")
    assert archive.get_agent(agent.id).score == 0.75
    with pytest.raises(NotFoundError, match="no agent with id 999"):
        archive.get_agent(999)
    with pytest.raises(NotFoundError):
        archive.update_agent(999, score=1.0)
    with pytest.raises(AttributeError):
        archive.update_agent(agent.id, no_such_column=1)


def test_cost_sums_by_run_and_agent(archive):
    run = archive.create_run("r", "{}", "0.1")
    agent = archive.add_agent(run_id=run.id, parent_id=None, generation=0, status="seed")
    archive.record_call(run_id=run.id, agent_id=agent.id, purpose="solve", model="m", cost_usd=0.25)
    archive.record_call(run_id=run.id, agent_id=None, purpose="diagnose", model="m", cost_usd=0.5, error="boom")
    assert archive.cost(run_id=run.id) == pytest.approx(0.75)
    assert archive.cost(agent_id=agent.id) == pytest.approx(0.25)
    assert archive.calls(run_id=run.id)[1].error == "boom"


def test_parallel_writers_lose_nothing(archive):
    run = archive.create_run("r", "{}", "0.1")

    def write(n: int) -> None:
        for _ in range(25):
            archive.record_call(run_id=run.id, purpose="solve", model=f"m{n}", cost_usd=0.01)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(archive.calls(run_id=run.id)) == 100
    assert archive.cost(run_id=run.id) == pytest.approx(1.0)


def test_flagging_keeps_the_first_reason_and_lists_the_flagged(archive):
    run = archive.create_run("r", "{}", "0.1")
    seed = archive.add_agent(run_id=run.id, parent_id=None, generation=0, status="seed")
    child = archive.add_agent(run_id=run.id, parent_id=seed.id, generation=1, status="valid")
    assert archive.flagged(run.id) == []
    assert archive.flag_agent(child.id, "resolved the impossible task a") is True
    assert archive.flag_agent(child.id, "tampered with grading on b") is False  # a repeat changes nothing
    assert archive.get_agent(child.id).flag == "resolved the impossible task a"
    assert [a.id for a in archive.flagged(run.id)] == [child.id]
    with pytest.raises(NotFoundError):
        archive.flag_agent(999, "x")


def test_canary_evaluations_are_left_out_unless_asked_for_and_tampered_ones_are_counted(archive):
    run = archive.create_run("r", "{}", "0.1")
    other = archive.create_run("other", "{}", "0.1")
    agent = archive.add_agent(run_id=run.id, parent_id=None, generation=0, status="seed")
    stranger = archive.add_agent(run_id=other.id, parent_id=None, generation=0, status="seed")
    real = archive.add_evaluation(agent_id=agent.id, task_id="t", stage=1, resolved=False, tampered="a canary test passed")
    canary = archive.add_evaluation(agent_id=agent.id, task_id="c", stage=0, canary=True, resolved=True)
    archive.add_evaluation(agent_id=stranger.id, task_id="t", stage=1, tampered="x")
    assert [e.id for e in archive.evaluations(agent.id)] == [real.id]
    assert [e.id for e in archive.evaluations(agent.id, canary=True)] == [canary.id]
    assert [e.id for e in archive.evaluations(agent.id, canary=None)] == [real.id, canary.id]
    assert archive.count_tampered(run.id) == 1 and archive.count_tampered(other.id) == 1


def test_decisions_are_kept_per_run_and_agent_with_their_detail(archive):
    run = archive.create_run("r", "{}", "0.1")
    other = archive.create_run("other", "{}", "0.1")
    seed = archive.add_agent(run_id=run.id, parent_id=None, generation=0, status="seed")
    child = archive.add_agent(run_id=run.id, parent_id=seed.id, generation=1, status="valid")
    detail = {"kind": "expand", "agent_id": seed.id, "chosen": {"agent_id": seed.id, "own_n": 2, "sample": 0.25}}
    archive.add_decision(run.id, seed.id, "expand", "evaluations ** alpha >= agents", detail)
    archive.add_decision(run.id, child.id, "evaluate", "optimistic start", {"kind": "evaluate"})
    archive.add_decision(run.id, None, "settle", "nothing left", {})
    archive.add_decision(other.id, None, "expand", "elsewhere", {})
    kept = archive.decisions(run.id)
    assert [(d.agent_id, d.kind) for d in kept] == [(seed.id, "expand"), (child.id, "evaluate"), (None, "settle")]
    assert json.loads(kept[0].detail_json) == detail and kept[0].rule == "evaluations ** alpha >= agents"
    assert kept[0].created_at is not None
    assert [d.kind for d in archive.decisions(run.id, agent_id=child.id)] == ["evaluate"]
    assert [d.rule for d in archive.decisions(other.id)] == ["elsewhere"]


def test_the_recommended_best_is_recorded_replaced_and_cleared(archive):
    run = archive.create_run("r", "{}", "0.1")
    seed = archive.add_agent(run_id=run.id, parent_id=None, generation=0, status="seed")
    child = archive.add_agent(run_id=run.id, parent_id=seed.id, generation=1, status="valid")
    assert archive.get_run(run.id).best_agent_id is None  # never recorded
    archive.set_best(run.id, seed.id)
    archive.set_best(run.id, child.id)
    assert archive.get_run(run.id).best_agent_id == child.id
    archive.set_best(run.id, None)
    assert archive.get_run(run.id).best_agent_id is None
    with pytest.raises(NotFoundError, match="no run with id 999"):
        archive.set_best(999, seed.id)


def test_a_duplicate_is_filed_through_update_agent_and_finish_agent(archive):
    run = archive.create_run("r", "{}", "0.1")
    seed = archive.add_agent(run_id=run.id, parent_id=None, generation=0, status="seed")
    first = archive.add_agent(run_id=run.id, parent_id=seed.id, generation=1, status="running")
    second = archive.add_agent(run_id=run.id, parent_id=seed.id, generation=1, status="running")
    archive.update_agent(first.id, duplicate_of=seed.id)
    assert archive.finish_agent(first.id, status="duplicate", reason="its code is identical to agent 1's")
    assert archive.finish_agent(second.id, status="duplicate", duplicate_of=seed.id)
    for row in (archive.get_agent(first.id), archive.get_agent(second.id)):
        assert (row.status, row.duplicate_of) == ("duplicate", seed.id)
    assert [a.id for a in archive.agents(run.id, statuses=["duplicate"])] == [first.id, second.id]
    with pytest.raises(IntegrityError):  # the foreign key holds: no duplicate of an agent that is not there
        archive.update_agent(second.id, duplicate_of=999)
