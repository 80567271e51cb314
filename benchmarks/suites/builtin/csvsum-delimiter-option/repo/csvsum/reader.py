"""Reading CSV files into a header and rows of strings."""

import csv
import io
import os


class TableError(ValueError):
    """Raised for files that cannot be summarised."""


def read_table(source):
    """Return ``(header, rows)`` read from *source*.

    *source* is a path or an open text file.  A UTF-8 byte order mark is
    ignored.  Short rows are padded with empty cells; rows with more cells
    than the header are an error.  Completely blank lines are skipped.
    """
    if isinstance(source, (str, os.PathLike)):
        with open(source, newline="", encoding="utf-8-sig") as handle:
            return _read(handle)
    if isinstance(source, io.TextIOBase) or hasattr(source, "read"):
        return _read(source)
    raise TypeError(f"expected a path or a text file, got {type(source).__name__}")


def _read(handle):
    reader = csv.reader(handle)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise TableError("file is empty") from None
    if len(set(header)) != len(header):
        raise TableError(f"duplicate column names in header: {header}")

    rows = []
    for row in reader:
        if not row:
            continue
        if len(row) > len(header):
            raise TableError(
                f"line {reader.line_num}: expected {len(header)} cells, got {len(row)}"
            )
        rows.append(row + [""] * (len(header) - len(row)))
    return header, rows
