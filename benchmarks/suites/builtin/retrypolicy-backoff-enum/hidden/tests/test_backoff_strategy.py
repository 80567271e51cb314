import pytest

from retrypolicy import RetryError, RetryPolicy, call_with_retry


def test_backoff_enum_members():
    from retrypolicy import Backoff
    from retrypolicy.backoff import Backoff as BackoffFromModule

    assert Backoff is BackoffFromModule
    assert [member.value for member in Backoff] == ["constant", "linear", "exponential"]
    assert Backoff("linear") is Backoff.LINEAR


def test_strategy_accepts_members_and_names():
    from retrypolicy import Backoff

    assert RetryPolicy(strategy=Backoff.CONSTANT).strategy is Backoff.CONSTANT
    assert RetryPolicy(strategy="linear").strategy is Backoff.LINEAR
    assert RetryPolicy().strategy is Backoff.EXPONENTIAL


def test_linear_backoff():
    policy = RetryPolicy(max_attempts=6, base_delay=1.5, max_delay=5, strategy="linear")
    assert policy.delays() == [1.5, 3.0, 4.5, 5, 5]
    assert RetryPolicy(max_attempts=3, base_delay=2, multiplier=10, strategy="linear").delays() == [2, 4]


def test_constant_and_exponential_strategies():
    from retrypolicy import Backoff

    assert RetryPolicy(max_attempts=3, base_delay=2, strategy=Backoff.CONSTANT).delays() == [2, 2]
    assert RetryPolicy(max_attempts=5, base_delay=0.5, max_delay=3, strategy="exponential").delays() == [
        0.5, 1.0, 2.0, 3]


def test_boolean_flag_maps_onto_strategy():
    from retrypolicy import Backoff

    assert RetryPolicy(exponential=False).strategy is Backoff.CONSTANT
    assert RetryPolicy(exponential=True).strategy is Backoff.EXPONENTIAL
    assert RetryPolicy(exponential=False) == RetryPolicy(strategy="constant")
    assert RetryPolicy(exponential=True) == RetryPolicy(strategy=Backoff.EXPONENTIAL)


def test_exponential_attribute_reflects_strategy():
    assert RetryPolicy(strategy="exponential").exponential is True
    assert RetryPolicy(strategy="linear").exponential is False
    assert RetryPolicy(strategy="constant").exponential is False


def test_invalid_strategy_arguments():
    with pytest.raises(ValueError):
        RetryPolicy(strategy="fibonacci")
    with pytest.raises(TypeError):
        RetryPolicy(strategy="linear", exponential=False)


def test_describe_linear():
    policy = RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=3, strategy="linear")
    assert policy.describe() == "4 attempts, linear backoff from 0.5s (+0.5s), capped at 3s"
    assert RetryPolicy(base_delay=2, strategy="constant").describe() == "3 attempts, constant 2s delay"


def test_replace_with_strategy():
    from retrypolicy import Backoff

    linear = RetryPolicy(max_attempts=4, strategy="linear")
    assert linear.replace(max_attempts=2).strategy is Backoff.LINEAR
    assert linear.replace(exponential=True).strategy is Backoff.EXPONENTIAL
    assert linear.replace(exponential=False).delays() == [1.0, 1.0, 1.0]
    assert RetryPolicy().replace(strategy="linear").delays() == [1.0, 2.0]
    with pytest.raises(TypeError):
        linear.replace(strategy="constant", exponential=True)


def test_from_dict_with_strategy():
    assert RetryPolicy.from_dict({"max_attempts": 4, "strategy": "linear"}) == RetryPolicy(
        max_attempts=4, strategy="linear")
    with pytest.raises(ValueError):
        RetryPolicy.from_dict({"strategy": "sometimes"})


def test_runner_uses_linear_delays():
    slept = []
    with pytest.raises(RetryError):
        call_with_retry(_always_fails, RetryPolicy(max_attempts=4, base_delay=1, strategy="linear"),
                        sleep=slept.append)
    assert slept == [1, 2, 3]


def _always_fails():
    raise TimeoutError("no answer")


def test_boolean_flag_behaviour_unchanged():
    assert RetryPolicy(max_attempts=4, base_delay=1, exponential=False).delays() == [1, 1, 1]
    assert RetryPolicy(max_attempts=4, base_delay=1, exponential=True).delays() == [1, 2, 4]
    assert RetryPolicy(exponential=False).exponential is False
    assert RetryPolicy().exponential is True
    assert RetryPolicy(exponential=False).describe() == "3 attempts, constant 1s delay"


def test_old_config_keys_still_work():
    assert RetryPolicy.from_dict({"exponential": False, "base_delay": 3}).delays() == [3, 3]
    assert RetryPolicy.from_dict({}) == RetryPolicy()
    with pytest.raises(ValueError):
        RetryPolicy.from_dict({"retry_on": "ValueError"})


def test_old_equality_and_replace():
    assert RetryPolicy(exponential=False) == RetryPolicy(exponential=False)
    assert RetryPolicy(exponential=False) != RetryPolicy()
    assert RetryPolicy().replace(exponential=False) == RetryPolicy(exponential=False)
    assert RetryPolicy(exponential=False).replace(exponential=True) == RetryPolicy()
