"""Calendar arithmetic helpers."""

import calendar
from datetime import date


def days_in_month(year, month):
    """Number of days in *month* of *year* (1-12)."""
    return calendar.monthrange(year, month)[1]


def add_months(day, months):
    """Return *day* moved by *months* calendar months (may be negative).

    The day of the month is kept when possible and otherwise limited to the
    last day of the target month: ``add_months(date(2024, 1, 31), 1)`` is
    ``date(2024, 2, 29)``.
    """
    if not isinstance(day, date):
        raise TypeError("add_months() expects a datetime.date")
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, days_in_month(year, month)))
