"""confini: a small INI-style configuration parser."""

from .parser import Config, ConfigError, load, parse

__all__ = ["Config", "ConfigError", "load", "parse"]
