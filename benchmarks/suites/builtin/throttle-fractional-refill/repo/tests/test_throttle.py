import pytest

from throttle import KeyedLimiter, ManualClock, MonotonicClock, TokenBucket


def test_starts_full_and_allows_a_burst():
    bucket = TokenBucket(rate=1, capacity=3, clock=ManualClock())
    assert [bucket.try_acquire() for _ in range(4)] == [True, True, True, False]


def test_refills_over_time():
    clock = ManualClock()
    bucket = TokenBucket(rate=2, capacity=5, clock=clock, initial=0)
    assert not bucket.try_acquire()
    clock.advance(1.0)
    assert bucket.tokens == 2
    assert bucket.try_acquire(2)
    assert not bucket.try_acquire()


def test_refill_is_capped_at_capacity():
    clock = ManualClock()
    bucket = TokenBucket(rate=10, capacity=3, clock=clock)
    clock.advance(3600)
    assert bucket.tokens == 3


def test_wait_time():
    clock = ManualClock()
    bucket = TokenBucket(rate=4, capacity=4, clock=clock, initial=0)
    assert bucket.wait_time() == 0.25
    assert bucket.wait_time(2) == 0.5
    clock.advance(0.5)
    assert bucket.wait_time(2) == 0.0


def test_cost_validation():
    bucket = TokenBucket(rate=1, capacity=2, clock=ManualClock())
    with pytest.raises(ValueError):
        bucket.try_acquire(3)
    with pytest.raises(ValueError):
        bucket.try_acquire(0)


def test_constructor_validation():
    with pytest.raises(ValueError):
        TokenBucket(rate=0, capacity=1)
    with pytest.raises(ValueError):
        TokenBucket(rate=1, capacity=0)
    with pytest.raises(ValueError):
        TokenBucket(rate=1, capacity=2, initial=3)


def test_manual_clock():
    clock = ManualClock(start=10)
    clock.advance(2.5)
    assert clock.now() == 12.5
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_default_clock_is_monotonic():
    bucket = TokenBucket(rate=1, capacity=1)
    assert isinstance(bucket._clock, MonotonicClock)
    assert bucket.try_acquire()


def test_keyed_limiter_separates_keys():
    clock = ManualClock()
    limiter = KeyedLimiter(rate=1, capacity=1, clock=clock)
    assert limiter.allow("alice")
    assert not limiter.allow("alice")
    assert limiter.allow("bob")
    assert limiter.wait_time("alice") == 1.0
    clock.advance(1)
    assert limiter.allow("alice")


def test_keyed_limiter_purge():
    clock = ManualClock()
    limiter = KeyedLimiter(rate=1, capacity=2, clock=clock)
    limiter.allow("a")
    limiter.allow("b", cost=2)
    clock.advance(1)
    assert limiter.purge() == 1
    assert len(limiter) == 1
