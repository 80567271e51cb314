""".env files: parse them, read them, apply them to an environment."""

from .loader import apply, load
from .parser import EnvFileError, parse

__all__ = ["EnvFileError", "apply", "load", "parse"]
