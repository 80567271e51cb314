from datetime import date

from dateranges import DateRange


def test_month_end_start_does_not_drift():
    r = DateRange(date(2024, 1, 31), date(2024, 6, 30), months=1)
    assert list(r) == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
        date(2024, 6, 30),
    ]
    assert len(r) == 6


def test_thirtieth_survives_february():
    r = DateRange(date(2023, 1, 30), date(2023, 4, 30), months=1)
    assert list(r) == [date(2023, 1, 30), date(2023, 2, 28), date(2023, 3, 30), date(2023, 4, 30)]


def test_quarterly_from_month_end():
    r = DateRange(date(2023, 11, 30), date(2024, 12, 31), months=3)
    assert [d.isoformat() for d in r] == [
        "2023-11-30",
        "2024-02-29",
        "2024-05-30",
        "2024-08-30",
        "2024-11-30",
    ]


def test_yearly_from_leap_day():
    r = DateRange(date(2024, 2, 29), date(2028, 12, 31), months=12)
    assert [d.isoformat() for d in r] == [
        "2024-02-29",
        "2025-02-28",
        "2026-02-28",
        "2027-02-28",
        "2028-02-29",
    ]


def test_descending_months_from_month_end():
    r = DateRange(date(2024, 5, 31), date(2024, 1, 31), months=-1)
    assert list(r) == [
        date(2024, 5, 31),
        date(2024, 4, 30),
        date(2024, 3, 31),
        date(2024, 2, 29),
        date(2024, 1, 31),
    ]


def test_exclusive_end_with_month_end_start():
    r = DateRange(date(2024, 1, 31), date(2024, 4, 30), months=1, inclusive=False)
    assert list(r) == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)]


def test_contains_agrees_with_iteration_at_month_end():
    r = DateRange(date(2024, 1, 31), date(2024, 12, 31), months=1)
    assert date(2024, 2, 29) in r
    assert date(2024, 4, 30) in r
    assert date(2024, 3, 31) in r
    assert date(2024, 3, 29) not in r
    assert date(2024, 2, 28) not in r
    assert all(d in r for d in r)


def test_contains_descending_month_end():
    r = DateRange(date(2024, 5, 31), date(2023, 6, 1), months=-3)
    assert date(2024, 2, 29) in r
    assert date(2023, 11, 30) in r
    assert date(2023, 8, 31) in r
    assert date(2023, 11, 29) not in r
    assert date(2023, 8, 29) not in r
    assert len(r) == 4


def test_mid_month_ranges_are_unchanged():
    r = DateRange(date(2024, 1, 28), date(2024, 5, 1), months=1)
    assert [d.day for d in r] == [28, 28, 28, 28]
    assert date(2024, 2, 28) in r
    assert date(2024, 2, 29) not in r


def test_day_step_ranges_are_unchanged():
    r = DateRange(date(2024, 1, 31), date(2024, 3, 31), days=29)
    assert list(r) == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 29)]
    assert date(2024, 3, 29) in r
    assert date(2024, 3, 31) not in r
