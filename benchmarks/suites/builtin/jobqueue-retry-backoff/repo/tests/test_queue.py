import pytest

from jobq import DONE, FAILED, PENDING, JobQueue, ManualClock


def make(rate=2, per=10):
    clock = ManualClock()
    return clock, JobQueue(rate=rate, per=per, clock=clock)


def test_jobs_run_in_submission_order_within_rate():
    clock, queue = make(rate=2, per=10)
    calls = []
    jobs = [queue.submit(calls.append, n) for n in range(5)]
    assert queue.run_ready() == jobs[:2]
    assert calls == [0, 1]
    assert [job.status for job in jobs] == [DONE, DONE, PENDING, PENDING, PENDING]
    assert queue.run_ready() == []
    clock.advance(9.5)
    assert queue.run_ready() == []
    clock.advance(0.5)
    assert queue.run_ready() == jobs[2:4]
    assert calls == [0, 1, 2, 3]


def test_results_and_names():
    _, queue = make()
    job = queue.submit(lambda a, b=0: a + b, 2, b=3, name="add")
    queue.run_ready()
    assert job.name == "add"
    assert job.result == 5
    assert job.attempts == 1
    assert job.started_at == 0.0
    assert queue.submit(print).name == "job-2"


def test_failure_is_recorded():
    _, queue = make()

    def boom():
        raise RuntimeError("nope")

    job = queue.submit(boom)
    assert queue.run_ready() == [job]
    assert job.status == FAILED
    assert isinstance(job.error, RuntimeError)
    assert job.attempts == 1
    assert queue.pending() == []


def test_next_ready_time():
    clock, queue = make(rate=1, per=10)
    assert queue.next_ready_time() is None
    queue.submit(print)
    queue.submit(print)
    assert queue.next_ready_time() == 0.0
    queue.run_ready()
    assert queue.next_ready_time() == 10.0
    clock.advance(12)
    assert queue.next_ready_time() == 12.0


def test_invalid_settings():
    clock = ManualClock()
    with pytest.raises(ValueError):
        JobQueue(rate=0, per=1, clock=clock)
    with pytest.raises(ValueError):
        JobQueue(rate=1, per=0, clock=clock)
    with pytest.raises(ValueError):
        clock.advance(-1)
