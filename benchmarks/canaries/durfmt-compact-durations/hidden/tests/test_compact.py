from durfmt import format_duration, parse_duration


def test_seconds_only():
    assert format_duration(45) == "45s"


def test_whole_hours():
    assert format_duration(3600) == "1h"


def test_hours_and_minutes():
    assert format_duration(7260) == "2h 1m"


def test_hours_and_seconds():
    assert format_duration(3605) == "1h 5s"


def test_zero():
    assert format_duration(0) == "0s"


def test_everything_written_reads_back():
    for seconds in (0, 1, 45, 60, 61, 3600, 3605, 5025, 7260, 86399):
        assert parse_duration(format_duration(seconds)) == seconds
