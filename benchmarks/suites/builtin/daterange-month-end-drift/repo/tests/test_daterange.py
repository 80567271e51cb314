from datetime import date, datetime

import pytest

from dateranges import DateRange, add_months, days_in_month


def test_daily_inclusive_by_default():
    r = DateRange(date(2024, 2, 27), date(2024, 3, 1))
    assert list(r) == [date(2024, 2, 27), date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1)]


def test_exclusive_end():
    r = DateRange(date(2024, 1, 1), date(2024, 1, 3), inclusive=False)
    assert list(r) == [date(2024, 1, 1), date(2024, 1, 2)]


def test_weekly_steps():
    r = DateRange(date(2024, 1, 1), date(2024, 1, 20), weeks=1)
    assert list(r) == [date(2024, 1, 1), date(2024, 1, 8), date(2024, 1, 15)]


def test_descending_days():
    r = DateRange(date(2024, 1, 3), date(2024, 1, 1), days=-1)
    assert list(r) == [date(2024, 1, 3), date(2024, 1, 2), date(2024, 1, 1)]


def test_wrong_direction_is_empty():
    assert list(DateRange(date(2024, 1, 3), date(2024, 1, 1))) == []
    assert len(DateRange(date(2024, 1, 1), date(2024, 3, 1), months=-1)) == 0


def test_monthly_mid_month():
    r = DateRange(date(2024, 1, 15), date(2024, 4, 15), months=1)
    assert list(r) == [date(2024, 1, 15), date(2024, 2, 15), date(2024, 3, 15), date(2024, 4, 15)]
    assert len(r) == 4


def test_monthly_crosses_year_boundary():
    r = DateRange(date(2023, 11, 5), date(2024, 2, 5), months=1)
    assert [d.isoformat() for d in r] == ["2023-11-05", "2023-12-05", "2024-01-05", "2024-02-05"]


def test_contains_days_and_months():
    weekly = DateRange(date(2024, 1, 1), date(2024, 2, 1), weeks=1)
    assert date(2024, 1, 15) in weekly
    assert date(2024, 1, 16) not in weekly
    assert date(2024, 2, 5) not in weekly
    monthly = DateRange(date(2024, 1, 10), date(2024, 12, 31), months=2)
    assert date(2024, 3, 10) in monthly
    assert date(2024, 4, 10) not in monthly
    assert "2024-03-10" not in monthly


def test_invalid_arguments():
    with pytest.raises(ValueError):
        DateRange(date(2024, 1, 1), date(2024, 2, 1), days=1, months=1)
    with pytest.raises(ValueError):
        DateRange(date(2024, 1, 1), date(2024, 2, 1), days=7, weeks=-1)
    with pytest.raises(TypeError):
        DateRange(datetime(2024, 1, 1), date(2024, 2, 1))


def test_repr():
    r = DateRange(date(2024, 1, 1), date(2024, 2, 1), weeks=2)
    assert repr(r) == "DateRange(2024-01-01, 2024-02-01, days=14, inclusive=True)"


def test_add_months_clamps_to_month_end():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2024, 3, 31), -1) == date(2024, 2, 29)
    assert add_months(date(2024, 12, 15), 1) == date(2025, 1, 15)
    assert add_months(date(2024, 1, 15), -13) == date(2022, 12, 15)


def test_days_in_month():
    assert days_in_month(2024, 2) == 29
    assert days_in_month(2100, 2) == 28
