import pytest

from durfmt import DurationError, format_duration, parse_duration, report


def test_hours_minutes_seconds():
    assert format_duration(5025) == "1h 23m 45s"


def test_minutes_and_seconds():
    assert format_duration(754) == "12m 34s"


def test_rejects_negative_and_non_integers():
    with pytest.raises(ValueError):
        format_duration(-1)
    with pytest.raises(TypeError):
        format_duration(1.5)


def test_parse_full_and_partial():
    assert parse_duration("1h 23m 45s") == 5025
    assert parse_duration("2h 5s") == 7205
    assert parse_duration("90s") == 90


def test_parse_rejects_garbage_and_order():
    for text in ("", "1x", "5s 1m", "1m 1m"):
        with pytest.raises(DurationError):
            parse_duration(text)


def test_report_aligns_columns():
    assert report({"build": 754, "test": 5025}) == "test   1h 23m 45s\nbuild     12m 34s"
