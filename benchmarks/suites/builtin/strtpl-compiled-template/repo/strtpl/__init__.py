"""strtpl: a small text template engine."""

from .engine import render
from .errors import TemplateError, TemplateSyntaxError, UndefinedError

__all__ = ["TemplateError", "TemplateSyntaxError", "UndefinedError", "render"]
