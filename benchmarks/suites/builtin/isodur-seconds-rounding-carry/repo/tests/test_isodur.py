from datetime import timedelta

import pytest

from isodur import DurationError, format_duration, parse_duration


def test_parse_components():
    assert parse_duration("P3DT4H5M6S") == timedelta(days=3, hours=4, minutes=5, seconds=6)
    assert parse_duration("PT90M") == timedelta(minutes=90)
    assert parse_duration("P2W") == timedelta(days=14)


def test_parse_fractional_seconds():
    assert parse_duration("PT6.5S") == timedelta(seconds=6, microseconds=500000)
    assert parse_duration("PT0,000001S") == timedelta(microseconds=1)


def test_parse_sign():
    assert parse_duration("-PT1M") == timedelta(minutes=-1)
    assert parse_duration("+P1D") == timedelta(days=1)


def test_parse_errors():
    for bad in ["", "P", "PT", "P1DT", "1D", "PT1.5M", "PT1.1234567S", "P1Y", "P2M", "PT-1S"]:
        with pytest.raises(DurationError):
            parse_duration(bad)


def test_format_basic():
    assert format_duration(timedelta(days=1, hours=2)) == "P1DT2H"
    assert format_duration(timedelta(minutes=90)) == "PT1H30M"
    assert format_duration(timedelta(days=3)) == "P3D"
    assert format_duration(timedelta(0)) == "PT0S"


def test_format_fraction_without_trailing_zeros():
    assert format_duration(timedelta(seconds=6, microseconds=500000)) == "PT6.5S"
    assert format_duration(timedelta(seconds=1, microseconds=123456), precision=2) == "PT1.12S"
    assert format_duration(timedelta(seconds=2), precision=6) == "PT2S"


def test_format_negative():
    assert format_duration(timedelta(minutes=-90)) == "-PT1H30M"
    assert format_duration(-timedelta(days=2, seconds=1)) == "-P2DT1S"


def test_precision_is_validated():
    for bad in [-1, 7, 2.0, True]:
        with pytest.raises(ValueError):
            format_duration(timedelta(seconds=1), precision=bad)
    with pytest.raises(TypeError):
        format_duration(60)


def test_round_trip():
    for value in [timedelta(days=400, seconds=7, microseconds=1), timedelta(minutes=-3), timedelta(hours=25)]:
        assert parse_duration(format_duration(value, precision=6)) == value
