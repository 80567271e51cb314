from datetime import timedelta

from isodur import format_duration, parse_duration


def test_seconds_that_round_up_to_sixty_carry_into_minutes():
    assert format_duration(timedelta(seconds=59, microseconds=999700)) == "PT1M"
    assert format_duration(timedelta(minutes=4, seconds=59, microseconds=999999)) == "PT5M"


def test_carry_ripples_into_hours_and_days():
    assert format_duration(timedelta(seconds=3599, microseconds=999600)) == "PT1H"
    assert format_duration(timedelta(days=1, hours=23, minutes=59, seconds=59, microseconds=999999)) == "P2D"
    assert format_duration(timedelta(hours=3, minutes=59, seconds=59, microseconds=999900)) == "PT4H"


def test_carry_with_lower_precision():
    assert format_duration(timedelta(minutes=59, seconds=59, microseconds=600000), precision=0) == "PT1H"
    assert format_duration(timedelta(minutes=2, seconds=59, microseconds=960000), precision=1) == "PT3M"
    assert format_duration(timedelta(days=6, seconds=86399, microseconds=999000), precision=2) == "P7D"


def test_negative_durations_carry_too():
    assert format_duration(-timedelta(minutes=1, seconds=59, microseconds=999999)) == "-PT2M"
    assert format_duration(-timedelta(seconds=86399, microseconds=999950), precision=4) == "-P1D"


def test_every_component_stays_below_its_limit():
    value = timedelta(hours=23, minutes=59, seconds=59, microseconds=999800)
    text = format_duration(value)
    assert text == "P1D"
    assert parse_duration(text) == timedelta(days=1)


def test_rounding_down_does_not_carry():
    assert format_duration(timedelta(seconds=59, microseconds=999400)) == "PT59.999S"
    assert format_duration(timedelta(minutes=59, seconds=59, microseconds=400000), precision=0) == "PT59M59S"


def test_rounds_to_nearest_rather_than_truncating():
    assert format_duration(timedelta(seconds=1, microseconds=234600)) == "PT1.235S"
    assert format_duration(timedelta(minutes=2, seconds=3, microseconds=960000), precision=1) == "PT2M4S"
    assert format_duration(timedelta(seconds=7, microseconds=700000), precision=0) == "PT8S"


def test_tiny_durations_round_to_zero_without_a_sign():
    assert format_duration(timedelta(microseconds=300)) == "PT0S"
    assert format_duration(-timedelta(microseconds=300)) == "PT0S"
    assert format_duration(-timedelta(microseconds=40), precision=4) == "PT0S"


def test_full_precision_keeps_every_microsecond():
    assert format_duration(timedelta(days=2, microseconds=1), precision=6) == "P2DT0.000001S"
    assert format_duration(timedelta(weeks=2, seconds=59, microseconds=999999), precision=6) == "P14DT59.999999S"
