"""dateranges: iterate over calendar dates."""

from .calendar_math import add_months, days_in_month
from .range import DateRange

__all__ = ["DateRange", "add_months", "days_in_month"]
