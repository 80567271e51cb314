"""semverlite: Semantic Versioning 2.0.0 parsing and comparison."""

from .version import InvalidVersion, Version, max_version, parse, sort_versions

__all__ = ["InvalidVersion", "Version", "max_version", "parse", "sort_versions"]
