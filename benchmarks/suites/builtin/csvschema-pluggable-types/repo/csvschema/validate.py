"""Checking rows against a schema."""

import csv
import datetime
import io
import math
import re
from dataclasses import dataclass, field

from .errors import RowError, SchemaError

_INT = re.compile(r"[+-]?\d+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def convert_value(text, type_name):
    """Convert one stripped, non-empty cell to *type_name*.

    Raises ValueError with a short description of what was expected.
    """
    if type_name == "str":
        return text
    if type_name == "int":
        if not _INT.fullmatch(text):
            raise ValueError("expected an integer")
        return int(text)
    if type_name == "float":
        try:
            value = float(text)
        except ValueError:
            raise ValueError("expected a number") from None
        if not math.isfinite(value):
            raise ValueError("expected a finite number")
        return value
    if type_name == "bool":
        lowered = text.lower()
        if lowered in ("true", "yes", "1"):
            return True
        if lowered in ("false", "no", "0"):
            return False
        raise ValueError("expected true/false")
    if type_name == "date":
        try:
            if not _DATE.fullmatch(text):
                raise ValueError
            return datetime.datetime.strptime(text, "%Y-%m-%d").date()
        except ValueError:
            raise ValueError("expected a date (YYYY-MM-DD)") from None
    raise SchemaError(f"unknown field type {type_name!r}")


@dataclass
class Result:
    records: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.errors


def validate_rows(rows, schema):
    """Validate *rows* (lists of strings, the first being the header)."""
    result = Result()
    rows = iter(rows)
    header = [name.strip() for name in next(rows, [])]
    positions = {}
    for f in schema.fields:
        if f.name in header:
            positions[f.name] = header.index(f.name)
        elif f.required:
            result.errors.append(RowError(1, f.name, "missing column"))
    if result.errors:
        return result
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        record, errors = {}, []
        for f in schema.fields:
            index = positions.get(f.name)
            cell = row[index].strip() if index is not None and index < len(row) else ""
            if not cell:
                if f.required:
                    errors.append(RowError(number, f.name, "missing value"))
                else:
                    record[f.name] = f.default
                continue
            try:
                record[f.name] = convert_value(cell, f.type)
            except ValueError as exc:
                errors.append(RowError(number, f.name, f"{exc}, got {cell!r}"))
        if errors:
            result.errors.extend(errors)
        else:
            result.records.append(record)
    return result


def validate_csv(text, schema, delimiter=","):
    """Validate CSV *text*; see :func:`validate_rows`."""
    return validate_rows(csv.reader(io.StringIO(text), delimiter=delimiter), schema)
