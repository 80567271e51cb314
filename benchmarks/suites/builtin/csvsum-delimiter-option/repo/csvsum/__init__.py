"""csvsum: per-column summaries of CSV files."""

from .reader import TableError, read_table
from .stats import ColumnSummary, summarise_columns


def summarise(source, columns=None):
    """Read the CSV *source* (path or text file) and summarise its columns.

    *columns*, if given, restricts the result to those column names, in the
    order given.
    """
    header, rows = read_table(source)
    return summarise_columns(header, rows, columns=columns)


__all__ = ["ColumnSummary", "TableError", "read_table", "summarise", "summarise_columns"]
