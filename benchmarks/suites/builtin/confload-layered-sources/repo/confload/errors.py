"""Errors."""


class ConfigError(ValueError):
    """A configuration value could not be applied."""
