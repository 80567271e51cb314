"""The Task record."""

from dataclasses import dataclass
from datetime import date, datetime

PRIORITIES = (1, 2, 3)


@dataclass
class Task:
    id: int
    title: str
    due: date | None = None
    priority: int = 2
    tags: tuple = ()
    done: bool = False
    completed_on: date | None = None

    def is_overdue(self, today):
        return not self.done and self.due is not None and self.due < today


def check_date(value, what):
    """Reject anything that is not a plain date (datetimes included)."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{what} must be a datetime.date, got {type(value).__name__}")
    return value


def parse_date(text):
    return None if text is None else date.fromisoformat(text)


def format_date(value):
    return None if value is None else value.isoformat()
