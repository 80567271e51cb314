"""recipescale: scale recipe ingredient lines."""

from .fmt import format_quantity
from .quantity import parse_quantity
from .recipe import Ingredient, parse_line, scale_line, scale_recipe

__all__ = ["Ingredient", "format_quantity", "parse_line", "parse_quantity", "scale_line", "scale_recipe"]
