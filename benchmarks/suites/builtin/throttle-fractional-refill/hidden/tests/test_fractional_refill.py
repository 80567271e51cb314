from throttle import KeyedLimiter, ManualClock, TokenBucket


def test_frequent_polling_still_refills():
    clock = ManualClock()
    bucket = TokenBucket(rate=4, capacity=1, clock=clock, initial=0)
    results = []
    for _ in range(8):
        clock.advance(0.125)
        results.append(bucket.try_acquire())
    assert results == [False, True] * 4


def test_fractional_tokens_accumulate():
    clock = ManualClock()
    bucket = TokenBucket(rate=2, capacity=5, clock=clock, initial=0)
    clock.advance(0.25)
    assert bucket.tokens == 0.5
    clock.advance(0.25)
    assert bucket.tokens == 1
    clock.advance(0.75)
    assert bucket.tokens == 2.5


def test_wait_time_accounts_for_partial_tokens():
    clock = ManualClock()
    bucket = TokenBucket(rate=4, capacity=2, clock=clock, initial=0)
    clock.advance(0.125)
    assert bucket.wait_time() == 0.125
    assert bucket.wait_time(2) == 0.375


def test_remainder_is_kept_after_acquiring():
    clock = ManualClock()
    bucket = TokenBucket(rate=2, capacity=3, clock=clock, initial=0)
    clock.advance(0.75)
    assert bucket.try_acquire()
    assert bucket.tokens == 0.5
    clock.advance(0.25)
    assert bucket.try_acquire()


def test_keyed_limiter_with_frequent_requests():
    clock = ManualClock()
    limiter = KeyedLimiter(rate=2, capacity=1, clock=clock)
    allowed = 0
    for _ in range(16):
        if limiter.allow("client"):
            allowed += 1
        clock.advance(0.125)
    # 1 token at the start, then one every 0.5 s over the following 1.875 s
    assert allowed == 4


def test_capacity_still_caps_fractional_refill():
    clock = ManualClock()
    bucket = TokenBucket(rate=3, capacity=2, clock=clock, initial=0)
    clock.advance(1000.5)
    assert bucket.tokens == 2


def test_no_time_no_tokens():
    clock = ManualClock()
    bucket = TokenBucket(rate=1, capacity=2, clock=clock, initial=0)
    assert bucket.tokens == 0
    assert not bucket.try_acquire()


def test_clock_going_backwards_adds_nothing():
    clock = ManualClock(start=100)
    bucket = TokenBucket(rate=1, capacity=5, clock=clock, initial=1)
    clock.set(50)
    assert bucket.tokens == 1
    clock.set(52)
    assert bucket.tokens == 3
