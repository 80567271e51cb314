"""cronfield: five-field cron expressions."""

from .fields import DAY_OF_MONTH, DAY_OF_WEEK, HOUR, MINUTE, MONTH, CronError, FieldSpec, parse_field
from .schedule import CronSchedule

__all__ = [
    "DAY_OF_MONTH",
    "DAY_OF_WEEK",
    "HOUR",
    "MINUTE",
    "MONTH",
    "CronError",
    "CronSchedule",
    "FieldSpec",
    "parse_field",
]
