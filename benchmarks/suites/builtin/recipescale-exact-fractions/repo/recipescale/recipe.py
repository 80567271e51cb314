"""Ingredient lines."""

from dataclasses import dataclass, replace
from typing import Optional

from .fmt import format_quantity
from .quantity import parse_quantity
from .units import canonical_unit, unit_label


@dataclass(frozen=True)
class Ingredient:
    quantity: Optional[float]
    unit: Optional[str]
    name: str

    def __str__(self):
        if self.quantity is None:
            return self.name
        parts = [format_quantity(self.quantity)]
        if self.unit:
            parts.append(unit_label(self.unit, self.quantity))
        parts.append(self.name)
        return " ".join(parts)

    def scaled(self, factor):
        if self.quantity is None:
            return self
        return replace(self, quantity=self.quantity * _check_factor(factor))


def _check_factor(factor):
    if isinstance(factor, bool) or not isinstance(factor, (int, float)):
        raise ValueError(f"scale factor must be a number, got {factor!r}")
    if factor <= 0:
        raise ValueError(f"scale factor must be positive, got {factor!r}")
    return factor


def _leading_quantity(words):
    """Return (quantity, number of words used) for the start of *words*."""
    for size in (2, 1):
        if len(words) > size:
            try:
                return parse_quantity(" ".join(words[:size])), size
            except ValueError:
                continue
    return None, 0


def parse_line(line):
    """Parse an ingredient line such as ``"1 1/2 cups flour"``."""
    words = line.split()
    if not words:
        raise ValueError("empty ingredient line")
    quantity, used = _leading_quantity(words)
    unit = None
    if quantity is not None and used < len(words) - 1:
        unit = canonical_unit(words[used])
        if unit is not None:
            used += 1
    if quantity is None:
        return Ingredient(None, None, " ".join(words))
    return Ingredient(quantity, unit, " ".join(words[used:]))


def scale_line(line, factor):
    """Scale one ingredient line by *factor*; lines without a quantity are kept."""
    ingredient = parse_line(line)
    if ingredient.quantity is None:
        _check_factor(factor)
        return line.strip()
    return str(ingredient.scaled(factor))


def scale_recipe(lines, factor):
    """Scale every ingredient line by *factor*."""
    return [scale_line(line, factor) for line in lines]
