"""The DateRange iterable."""

from datetime import date, datetime, timedelta

from .calendar_math import add_months


class DateRange:
    """Dates from *start* towards *end* in fixed steps.

    The step is given in ``days`` and/or ``weeks``, or in ``months`` (month
    steps cannot be combined with the others).  Without any step the range
    advances one day at a time.  A negative step produces a descending range.
    The end date is included when it falls on a step, unless
    ``inclusive=False``.
    """

    def __init__(self, start, end, *, days=0, weeks=0, months=0, inclusive=True):
        for name, value in (("start", start), ("end", end)):
            if not isinstance(value, date) or isinstance(value, datetime):
                raise TypeError(f"{name} must be a datetime.date, got {type(value).__name__}")
        if months and (days or weeks):
            raise ValueError("months cannot be combined with days or weeks")
        if not (days or weeks or months):
            days = 1
        self.start = start
        self.end = end
        self.inclusive = inclusive
        self.months = months
        self.step = None if months else timedelta(days=days, weeks=weeks)
        if self.step is not None and not self.step:
            raise ValueError("step must not be zero")

    @property
    def ascending(self):
        if self.months:
            return self.months > 0
        return self.step > timedelta(0)

    def _before_end(self, day):
        if day == self.end:
            return self.inclusive
        return day < self.end if self.ascending else day > self.end

    def _after_start(self, day):
        return day >= self.start if self.ascending else day <= self.start

    def _advance(self, day):
        if self.months:
            return add_months(day, self.months)
        return day + self.step

    def __iter__(self):
        current = self.start
        while self._before_end(current):
            yield current
            current = self._advance(current)

    def __len__(self):
        return sum(1 for _ in self)

    def __contains__(self, day):
        if not isinstance(day, date) or isinstance(day, datetime):
            return False
        if not (self._after_start(day) and self._before_end(day)):
            return False
        if self.months:
            elapsed = (day.year - self.start.year) * 12 + (day.month - self.start.month)
            return elapsed % self.months == 0 and day.day == self.start.day
        return (day - self.start).days % self.step.days == 0

    def __repr__(self):
        step = f"months={self.months}" if self.months else f"days={self.step.days}"
        return (
            f"DateRange({self.start.isoformat()}, {self.end.isoformat()}, {step}, "
            f"inclusive={self.inclusive})"
        )
