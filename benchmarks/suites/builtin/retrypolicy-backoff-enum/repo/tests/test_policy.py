import pytest

from retrypolicy import RetryError, RetryPolicy, call_with_retry, retrying


class Flaky:
    def __init__(self, failures, exc=ConnectionError):
        self.failures = failures
        self.exc = exc
        self.calls = 0

    def __call__(self):
        self.calls += 1
        if self.calls <= self.failures:
            raise self.exc(f"failure {self.calls}")
        return "ok"


def test_exponential_delays():
    policy = RetryPolicy(max_attempts=5, base_delay=0.5, max_delay=3)
    assert policy.delays() == [0.5, 1.0, 2.0, 3]
    assert RetryPolicy(max_attempts=4, base_delay=1, multiplier=3).delays() == [1, 3, 9]


def test_constant_delays():
    assert RetryPolicy(max_attempts=3, base_delay=2, exponential=False).delays() == [2, 2]


def test_delay_numbering():
    with pytest.raises(ValueError):
        RetryPolicy().delay(0)


def test_validation():
    for kwargs in ({"max_attempts": 0}, {"base_delay": -1}, {"base_delay": 5, "max_delay": 1},
                   {"multiplier": 0.5}, {"max_attempts": True}):
        with pytest.raises(ValueError):
            RetryPolicy(**kwargs)


def test_describe():
    assert RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=3).describe() == (
        "4 attempts, exponential backoff from 0.5s (x2), capped at 3s")
    assert RetryPolicy(base_delay=2, exponential=False).describe() == "3 attempts, constant 2s delay"
    assert RetryPolicy(max_attempts=1).describe() == "1 attempt, no retries"


def test_replace_and_equality():
    policy = RetryPolicy(max_attempts=4)
    assert policy.replace(exponential=False).delays() == [1.0, 1.0, 1.0]
    assert policy.replace(max_attempts=2) == RetryPolicy(max_attempts=2)
    assert policy.exponential
    with pytest.raises(TypeError):
        policy.replace(jitter=True)


def test_from_dict():
    assert RetryPolicy.from_dict({"max_attempts": 5, "exponential": False}) == RetryPolicy(
        max_attempts=5, exponential=False)
    with pytest.raises(ValueError):
        RetryPolicy.from_dict({"retries": 5})


def test_call_with_retry_succeeds_after_failures():
    slept, seen = [], []
    flaky = Flaky(2)
    policy = RetryPolicy(max_attempts=3, base_delay=1)
    result = call_with_retry(flaky, policy, sleep=slept.append,
                             on_retry=lambda attempt, exc, delay: seen.append((attempt, delay)))
    assert result == "ok" and flaky.calls == 3
    assert slept == [1, 2] and seen == [(1, 1), (2, 2)]


def test_call_with_retry_gives_up():
    slept = []
    with pytest.raises(RetryError) as info:
        call_with_retry(Flaky(5), RetryPolicy(max_attempts=3, base_delay=1, exponential=False), sleep=slept.append)
    assert info.value.attempts == 3
    assert isinstance(info.value.__cause__, ConnectionError)
    assert slept == [1, 1]


def test_other_exceptions_propagate():
    flaky = Flaky(1, exc=KeyError)
    with pytest.raises(KeyError):
        call_with_retry(flaky, RetryPolicy(retry_on=ConnectionError), sleep=lambda s: None)
    assert flaky.calls == 1


def test_decorator():
    slept = []
    flaky = Flaky(1)

    @retrying(RetryPolicy(base_delay=0.25), sleep=slept.append)
    def fetch():
        return flaky()

    assert fetch() == "ok" and slept == [0.25]
