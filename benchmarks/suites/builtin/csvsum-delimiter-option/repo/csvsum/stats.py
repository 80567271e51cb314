"""Column statistics."""

from dataclasses import dataclass
from typing import Optional


@dataclass
class ColumnSummary:
    name: str
    kind: str  # "number", "text" or "empty"
    count: int  # non-missing cells
    missing: int
    minimum: Optional[float] = None
    maximum: Optional[float] = None
    mean: Optional[float] = None
    unique: Optional[int] = None

    def describe(self):
        text = f"{self.name}: {self.kind} count={self.count} missing={self.missing}"
        if self.kind == "number":
            text += f" min={self.minimum:g} max={self.maximum:g} mean={self.mean:g}"
        elif self.kind == "text":
            text += f" unique={self.unique}"
        return text


def _as_number(cell):
    try:
        return float(cell)
    except ValueError:
        return None


def summarise_column(name, cells):
    present = [cell.strip() for cell in cells if cell.strip()]
    missing = len(cells) - len(present)
    if not present:
        return ColumnSummary(name, "empty", 0, missing)
    numbers = [_as_number(cell) for cell in present]
    if all(n is not None for n in numbers):
        return ColumnSummary(
            name,
            "number",
            len(numbers),
            missing,
            minimum=min(numbers),
            maximum=max(numbers),
            mean=sum(numbers) / len(numbers),
        )
    return ColumnSummary(name, "text", len(present), missing, unique=len(set(present)))


def summarise_columns(header, rows, columns=None):
    """Summarise each column of *rows*; see :func:`csvsum.summarise`."""
    names = list(header) if columns is None else list(columns)
    summaries = []
    for name in names:
        try:
            index = header.index(name)
        except ValueError:
            raise KeyError(f"no such column: {name!r}") from None
        summaries.append(summarise_column(name, [row[index] for row in rows]))
    return summaries
