"""Parsing one field of a cron expression into the set of values it allows."""

from dataclasses import dataclass, field


class CronError(ValueError):
    """An invalid cron expression or field."""


@dataclass(frozen=True)
class FieldSpec:
    name: str
    low: int
    high: int
    names: dict = field(default_factory=dict)


MINUTE = FieldSpec("minute", 0, 59)
HOUR = FieldSpec("hour", 0, 23)
DAY_OF_MONTH = FieldSpec("day of month", 1, 31)
MONTH = FieldSpec(
    "month", 1, 12,
    {name: number for number, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)},
)
# 0 and 7 both mean Sunday; parse_field() reports Sunday as 0.
DAY_OF_WEEK = FieldSpec(
    "day of week", 0, 7,
    {name: number for number, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])},
)


def _value(text, spec):
    upper = text.upper()
    if upper in spec.names:
        return spec.names[upper]
    if not text.isdigit():
        raise CronError(f"invalid {spec.name} value {text!r}")
    number = int(text)
    if not spec.low <= number <= spec.high:
        raise CronError(f"{spec.name} value {number} is outside {spec.low}-{spec.high}")
    return number


def parse_field(text, spec):
    """The set of values that the field *text* allows, e.g. ``"*/20"`` -> {0, 20, 40}."""
    values = set()
    for item in text.split(","):
        if not item:
            raise CronError(f"empty list item in {spec.name} field {text!r}")
        base, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) < 1:
                raise CronError(f"invalid step {step_text!r} in {spec.name} field {text!r}")
            step = int(step_text)
        if base == "*":
            start, end = spec.low, spec.high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = _value(first, spec), _value(last, spec)
            if start > end:
                raise CronError(f"backwards range {base!r} in {spec.name} field")
        else:
            start = _value(base, spec)
            end = spec.high if slash else start
        values.update(range(start, end + 1, step))
    if spec is DAY_OF_WEEK and 7 in values:
        values.discard(7)
        values.add(0)
    return frozenset(values)
