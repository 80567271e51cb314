"""routekit: a small URL router with typed path parameters."""

from .converters import Converter, IntConverter, PathConverter, StrConverter
from .pattern import Pattern
from .router import BuildError, MethodNotAllowed, NotFound, Route, Router

__all__ = [
    "BuildError",
    "Converter",
    "IntConverter",
    "MethodNotAllowed",
    "NotFound",
    "PathConverter",
    "Pattern",
    "Route",
    "Router",
    "StrConverter",
]
