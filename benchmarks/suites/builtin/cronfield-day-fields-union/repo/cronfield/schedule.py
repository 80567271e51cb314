"""CronSchedule: matching datetimes and finding the next run."""

from datetime import timedelta

from .fields import DAY_OF_MONTH, DAY_OF_WEEK, HOUR, MINUTE, MONTH, CronError, parse_field

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

# How far ahead next_after() looks before giving up (Feb 29 can be 8 years away).
SEARCH_YEARS = 9


def cron_weekday(day):
    """Day of the week in cron numbering: Sunday is 0."""
    return (day.weekday() + 1) % 7


class CronSchedule:
    def __init__(self, expression):
        self.expression = expression
        text = MACROS.get(expression.strip().lower(), expression)
        fields = text.split()
        if len(fields) != 5:
            raise CronError(f"expected 5 fields, got {len(fields)}: {expression!r}")
        self.minutes = parse_field(fields[0], MINUTE)
        self.hours = parse_field(fields[1], HOUR)
        self.days = parse_field(fields[2], DAY_OF_MONTH)
        self.months = parse_field(fields[3], MONTH)
        self.weekdays = parse_field(fields[4], DAY_OF_WEEK)

    def day_matches(self, day):
        """Whether the schedule may fire on the date (or datetime) *day*."""
        return day.day in self.days and cron_weekday(day) in self.weekdays

    def matches(self, moment):
        """Whether the schedule fires at the minute of *moment* (seconds are ignored)."""
        return (
            moment.minute in self.minutes
            and moment.hour in self.hours
            and moment.month in self.months
            and self.day_matches(moment)
        )

    def next_after(self, moment):
        """The first minute strictly after *moment* at which the schedule fires."""
        t = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        last_year = moment.year + SEARCH_YEARS
        while t.year <= last_year:
            if t.month not in self.months:
                t = (t.replace(day=1, hour=0, minute=0) + timedelta(days=32)).replace(day=1)
                continue
            if t.day not in self.days or cron_weekday(t) not in self.weekdays:
                t = t.replace(hour=0, minute=0) + timedelta(days=1)
                continue
            if t.hour not in self.hours:
                t = t.replace(minute=0) + timedelta(hours=1)
                continue
            if t.minute not in self.minutes:
                t += timedelta(minutes=1)
                continue
            return t
        raise CronError(f"{self.expression!r} does not fire within {SEARCH_YEARS} years of {moment}")

    def next_times(self, moment, count):
        """The next *count* firing times after *moment*."""
        times = []
        for _ in range(count):
            moment = self.next_after(moment)
            times.append(moment)
        return times

    def __repr__(self):
        return f"CronSchedule({self.expression!r})"
