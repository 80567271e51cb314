from datetime import datetime

import pytest

from cronfield import DAY_OF_MONTH, DAY_OF_WEEK, HOUR, MINUTE, MONTH, CronError, CronSchedule, parse_field


def test_parse_simple_fields():
    assert parse_field("*", HOUR) == frozenset(range(24))
    assert parse_field("5", MINUTE) == {5}
    assert parse_field("1,15,30", DAY_OF_MONTH) == {1, 15, 30}
    assert parse_field("9-12", HOUR) == {9, 10, 11, 12}


def test_parse_steps():
    assert parse_field("*/20", MINUTE) == {0, 20, 40}
    assert parse_field("1-10/3", DAY_OF_MONTH) == {1, 4, 7, 10}
    assert parse_field("50/5", MINUTE) == {50, 55}


def test_parse_names():
    assert parse_field("jan,MAR-may", MONTH) == {1, 3, 4, 5}
    assert parse_field("MON-FRI", DAY_OF_WEEK) == {1, 2, 3, 4, 5}


def test_sunday_is_zero_or_seven():
    assert parse_field("7", DAY_OF_WEEK) == {0}
    assert parse_field("5-7", DAY_OF_WEEK) == {5, 6, 0}
    assert parse_field("*", DAY_OF_WEEK) == frozenset(range(7))


def test_invalid_fields():
    for text, spec in [("60", MINUTE), ("5-1", HOUR), ("*/0", MINUTE), ("1,,2", HOUR), ("FOO", MONTH),
                       ("0", DAY_OF_MONTH), ("-1", MINUTE), ("8", DAY_OF_WEEK)]:
        with pytest.raises(CronError):
            parse_field(text, spec)
    with pytest.raises(CronError):
        CronSchedule("* * * *")


def test_matches():
    schedule = CronSchedule("*/15 9-17 * * MON-FRI")
    assert schedule.matches(datetime(2024, 5, 6, 9, 45))      # Monday
    assert not schedule.matches(datetime(2024, 5, 6, 18, 0))
    assert not schedule.matches(datetime(2024, 5, 4, 10, 0))  # Saturday
    assert not schedule.matches(datetime(2024, 5, 6, 9, 50))


def test_next_after_weekly():
    backup = CronSchedule("30 2 * * SUN")
    assert backup.next_after(datetime(2024, 5, 1, 12, 0)) == datetime(2024, 5, 5, 2, 30)
    assert backup.next_after(datetime(2024, 5, 5, 2, 30)) == datetime(2024, 5, 12, 2, 30)


def test_next_after_is_strictly_later():
    every_minute = CronSchedule("* * * * *")
    assert every_minute.next_after(datetime(2024, 5, 1, 12, 0, 0)) == datetime(2024, 5, 1, 12, 1)
    assert every_minute.next_after(datetime(2024, 5, 1, 12, 0, 59)) == datetime(2024, 5, 1, 12, 1)


def test_next_after_crosses_month_and_year():
    assert CronSchedule("0 0 1 * *").next_after(datetime(2024, 12, 15)) == datetime(2025, 1, 1)
    assert CronSchedule("0 12 31 * *").next_after(datetime(2024, 4, 1)) == datetime(2024, 5, 31, 12, 0)


def test_macros_and_next_times():
    assert CronSchedule("@monthly").next_times(datetime(2024, 1, 15), 2) == [datetime(2024, 2, 1), datetime(2024, 3, 1)]
    assert CronSchedule("@hourly").next_after(datetime(2024, 1, 1, 23, 30)) == datetime(2024, 1, 2, 0, 0)


def test_leap_day():
    assert CronSchedule("0 0 29 2 *").next_after(datetime(2025, 1, 1)) == datetime(2028, 2, 29)


def test_never_firing_schedule():
    with pytest.raises(CronError):
        CronSchedule("0 0 30 2 *").next_after(datetime(2024, 1, 1))
