"""Error types."""

from dataclasses import dataclass


class SchemaError(ValueError):
    """Raised for an invalid schema definition."""


@dataclass(frozen=True)
class RowError:
    """One problem found in the data."""

    row: int  # line of the CSV file; the header is row 1
    column: str
    message: str

    def __str__(self):
        return f"row {self.row}, column {self.column!r}: {self.message}"
