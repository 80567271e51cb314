import pytest

from jobq import DONE, FAILED, PENDING, JobQueue, ManualClock


class Flaky:
    """Fails the first *failures* calls, then returns "ok"."""

    def __init__(self, failures):
        self.failures = failures
        self.calls = 0

    def __call__(self):
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError(f"attempt {self.calls} failed")
        return "ok"


def test_failed_job_is_retried_after_backoff():
    clock = ManualClock()
    queue = JobQueue(rate=10, per=1, clock=clock, max_retries=2, backoff=4)
    job = queue.submit(Flaky(1))
    assert queue.run_ready() == []
    assert job.status == PENDING
    assert job.attempts == 1
    assert isinstance(job.error, ConnectionError)
    assert queue.pending() == [job]
    clock.advance(3)
    assert queue.run_ready() == []
    assert job.attempts == 1
    clock.advance(1)
    assert queue.run_ready() == [job]
    assert job.status == DONE
    assert job.result == "ok"
    assert job.error is None
    assert job.attempts == 2
    assert job.started_at == 4.0


def test_backoff_doubles_with_each_retry():
    clock = ManualClock()
    queue = JobQueue(rate=10, per=1, clock=clock, max_retries=3, backoff=1)
    flaky = Flaky(10)
    job = queue.submit(flaky)
    start_times = []
    for _ in range(12):
        before = job.attempts
        queue.run_ready()
        if job.attempts > before:
            start_times.append(clock.now())
        clock.advance(1)
    assert start_times == [0.0, 1.0, 3.0, 7.0]
    assert flaky.calls == 4
    assert job.status == FAILED


def test_job_fails_after_exhausting_retries():
    clock = ManualClock()
    queue = JobQueue(rate=10, per=1, clock=clock, max_retries=2, backoff=2)
    job = queue.submit(Flaky(5))
    assert queue.run_ready() == []
    clock.advance(2)
    assert queue.run_ready() == []
    clock.advance(4)
    assert queue.run_ready() == [job]
    assert job.status == FAILED
    assert job.attempts == 3
    assert str(job.error) == "attempt 3 failed"
    clock.advance(100)
    assert queue.run_ready() == []
    assert job.attempts == 3
    assert queue.next_ready_time() is None


def test_retries_count_against_the_rate_limit():
    clock = ManualClock()
    queue = JobQueue(rate=1, per=10, clock=clock, max_retries=1, backoff=1)
    first = queue.submit(Flaky(1), name="first")
    second = queue.submit(Flaky(0), name="second")
    assert queue.run_ready() == []
    assert (first.attempts, second.attempts) == (1, 0)
    clock.advance(10)
    # Both may run now; the older submission goes first and uses the only slot.
    assert queue.run_ready() == [first]
    assert second.status == PENDING
    clock.advance(9)
    assert queue.run_ready() == []
    clock.advance(1)
    assert queue.run_ready() == [second]


def test_waiting_retry_does_not_block_younger_jobs():
    clock = ManualClock()
    queue = JobQueue(rate=5, per=1, clock=clock, max_retries=1, backoff=30)
    first = queue.submit(Flaky(1))
    second = queue.submit(Flaky(0))
    assert queue.run_ready() == [second]
    assert first.status == PENDING
    third = queue.submit(Flaky(0))
    clock.advance(2)
    assert queue.run_ready() == [third]


def test_next_ready_time_accounts_for_backoff():
    clock = ManualClock()
    queue = JobQueue(rate=10, per=1, clock=clock, max_retries=1, backoff=3)
    queue.submit(Flaky(1))
    queue.run_ready()
    assert queue.next_ready_time() == 3.0
    clock.advance(1)
    assert queue.next_ready_time() == 3.0

    limited_clock = ManualClock()
    limited = JobQueue(rate=1, per=10, clock=limited_clock, max_retries=1, backoff=3)
    limited.submit(Flaky(1))
    limited.run_ready()
    assert limited.next_ready_time() == 10.0


def test_per_job_retry_override():
    clock = ManualClock()
    queue = JobQueue(rate=10, per=1, clock=clock)
    retried = queue.submit(Flaky(1), max_retries=2)
    plain = queue.submit(Flaky(1))
    assert queue.run_ready() == [plain]
    assert plain.status == FAILED
    clock.advance(1)
    assert queue.run_ready() == [retried]
    assert retried.status == DONE

    eager = JobQueue(rate=10, per=1, clock=ManualClock(), max_retries=3)
    never = eager.submit(Flaky(1), max_retries=0)
    assert eager.run_ready() == [never]
    assert never.status == FAILED


def test_invalid_retry_settings_rejected():
    clock = ManualClock()
    with pytest.raises(ValueError):
        JobQueue(rate=1, per=1, clock=clock, max_retries=-1)
    with pytest.raises(ValueError):
        JobQueue(rate=1, per=1, clock=clock, backoff=0)
    queue = JobQueue(rate=1, per=1, clock=clock)
    with pytest.raises(ValueError):
        queue.submit(print, max_retries=-2)


def test_default_queue_does_not_retry():
    clock = ManualClock()
    queue = JobQueue(rate=10, per=1, clock=clock)
    job = queue.submit(Flaky(1))
    assert queue.run_ready() == [job]
    assert job.status == FAILED
    assert job.attempts == 1
    clock.advance(100)
    assert queue.run_ready() == []
    assert job.attempts == 1


def test_keyword_arguments_still_reach_the_job():
    queue = JobQueue(rate=10, per=1, clock=ManualClock())
    job = queue.submit(lambda x, retries=0: (x, retries), 1, retries=5)
    queue.run_ready()
    assert job.result == (1, 5)
