from datetime import date, datetime

import pytest

from cronfield import CronError, CronSchedule


def test_either_day_field_may_match_when_both_are_restricted():
    schedule = CronSchedule("0 9 1 * MON")
    assert schedule.matches(datetime(2024, 5, 1, 9, 0))   # the 1st, a Wednesday
    assert schedule.matches(datetime(2024, 5, 6, 9, 0))   # a Monday
    assert schedule.matches(datetime(2024, 4, 1, 9, 0))   # both
    assert not schedule.matches(datetime(2024, 5, 7, 9, 0))
    assert schedule.day_matches(date(2024, 5, 1))
    assert not schedule.day_matches(date(2024, 5, 2))


def test_next_after_with_both_day_fields():
    schedule = CronSchedule("0 9 1 * MON")
    assert schedule.next_after(datetime(2024, 5, 1, 9, 0)) == datetime(2024, 5, 6, 9, 0)
    assert schedule.next_times(datetime(2024, 5, 27, 10, 0), 3) == [
        datetime(2024, 6, 1, 9, 0),
        datetime(2024, 6, 3, 9, 0),
        datetime(2024, 6, 10, 9, 0),
    ]


def test_fridays_or_the_thirteenth():
    schedule = CronSchedule("30 8 13 * FRI")
    assert schedule.next_times(datetime(2024, 9, 1), 4) == [
        datetime(2024, 9, 6, 8, 30),
        datetime(2024, 9, 13, 8, 30),
        datetime(2024, 9, 20, 8, 30),
        datetime(2024, 9, 27, 8, 30),
    ]
    assert schedule.matches(datetime(2024, 10, 13, 8, 30))  # a Sunday


def test_lists_in_both_day_fields():
    schedule = CronSchedule("0 12 1,15 * SAT,SUN")
    assert schedule.matches(datetime(2024, 5, 15, 12, 0))
    assert schedule.next_times(datetime(2024, 5, 13, 13, 0), 3) == [
        datetime(2024, 5, 15, 12, 0),
        datetime(2024, 5, 18, 12, 0),
        datetime(2024, 5, 19, 12, 0),
    ]


def test_full_explicit_range_counts_as_restricted():
    schedule = CronSchedule("0 0 1-31 * SUN")
    assert schedule.matches(datetime(2024, 5, 7, 0, 0))   # a Tuesday
    assert schedule.next_after(datetime(2024, 5, 7, 0, 0)) == datetime(2024, 5, 8, 0, 0)


def test_impossible_day_of_month_with_a_weekday():
    schedule = CronSchedule("0 0 30 2 MON")
    assert schedule.next_after(datetime(2024, 1, 1)) == datetime(2024, 2, 5, 0, 0)
    assert schedule.matches(datetime(2024, 2, 12, 0, 0))


def test_only_day_of_month_restricted():
    schedule = CronSchedule("0 0 15 * *")
    assert schedule.next_after(datetime(2024, 5, 1)) == datetime(2024, 5, 15)
    assert not schedule.matches(datetime(2024, 5, 16))


def test_only_day_of_week_restricted():
    schedule = CronSchedule("0 9 * * MON")
    assert schedule.next_after(datetime(2024, 5, 1, 9, 0)) == datetime(2024, 5, 6, 9, 0)
    assert not schedule.matches(datetime(2024, 5, 1, 9, 0))
    assert CronSchedule("@weekly").next_after(datetime(2024, 5, 1)) == datetime(2024, 5, 5)


def test_day_of_month_with_star_step_requires_both():
    schedule = CronSchedule("0 0 */2 * MON")
    assert schedule.next_after(datetime(2024, 5, 1)) == datetime(2024, 5, 13)
    assert not schedule.matches(datetime(2024, 5, 6))    # a Monday, but an even day
    assert not schedule.matches(datetime(2024, 5, 7))    # an odd day, but a Tuesday
    assert schedule.matches(datetime(2024, 5, 27))


def test_day_of_week_with_star_step_requires_both():
    schedule = CronSchedule("0 0 15 * */2")
    assert schedule.next_after(datetime(2024, 5, 1)) == datetime(2024, 6, 15)
    assert not schedule.matches(datetime(2024, 5, 15))   # a Wednesday


def test_never_firing_schedules_still_raise():
    with pytest.raises(CronError):
        CronSchedule("0 0 30 2 *").next_after(datetime(2024, 1, 1))
    with pytest.raises(CronError):
        CronSchedule("0 0 31 4,6 *").next_after(datetime(2024, 1, 1))
