"""Loading configuration: defaults, then environment variables, then overrides."""

import copy
import os

from .errors import ConfigError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def load_config(defaults, environ=None, prefix="APP_", separator="__", overrides=None,
                strict=False, lowercase=True):
    """Return a new configuration dict built from *defaults*, the environment
    variables starting with *prefix*, and *overrides* (see README.md)."""
    config = copy.deepcopy(defaults)
    if environ is None:
        environ = os.environ

    for name in sorted(environ):
        if not name.startswith(prefix):
            continue
        key = name[len(prefix):]
        if lowercase:
            key = key.lower()
        path = key.split(separator)
        if not key or not all(path):
            continue
        raw = environ[name]
        dotted = ".".join(path)
        node = config
        for depth, part in enumerate(path[:-1]):
            if part not in node:
                if strict:
                    raise ConfigError(f"unknown setting {dotted!r} (from {name})")
                node[part] = {}
            elif not isinstance(node[part], dict):
                section = ".".join(path[:depth + 1])
                raise ConfigError(f"cannot set {dotted!r} (from {name}): {section!r} is not a section")
            node = node[part]
        leaf = path[-1]
        if leaf not in node:
            if strict:
                raise ConfigError(f"unknown setting {dotted!r} (from {name})")
            node[leaf] = raw
            continue
        current = node[leaf]
        if isinstance(current, dict):
            raise ConfigError(f"cannot set {dotted!r} (from {name}): it is a section")
        if isinstance(current, bool):
            word = raw.strip().lower()
            if word in _TRUE:
                value = True
            elif word in _FALSE:
                value = False
            else:
                raise ConfigError(f"invalid value for {dotted!r} (from {name}): expected bool, got {raw!r}")
        elif isinstance(current, int):
            try:
                value = int(raw.strip())
            except ValueError:
                raise ConfigError(f"invalid value for {dotted!r} (from {name}): expected int, got {raw!r}") from None
        elif isinstance(current, float):
            try:
                value = float(raw.strip())
            except ValueError:
                raise ConfigError(f"invalid value for {dotted!r} (from {name}): expected float, got {raw!r}") from None
        elif isinstance(current, list):
            value = [item.strip() for item in raw.split(",") if item.strip()]
        else:
            value = raw
        node[leaf] = value

    if overrides:
        _apply_overrides(config, overrides, (), strict)
    return config


def _apply_overrides(node, overrides, path, strict):
    for key, value in overrides.items():
        here = path + (key,)
        dotted = ".".join(here)
        if isinstance(value, dict):
            if key not in node:
                if strict:
                    # Only an error if the dict actually sets something.
                    if _has_leaves(value):
                        first = ".".join(here + _first_leaf(value))
                        raise ConfigError(f"unknown setting {first!r} (from overrides)")
                    continue
                if not _has_leaves(value):
                    continue
                node[key] = {}
            elif not isinstance(node[key], dict):
                if _has_leaves(value):
                    first = ".".join(here + _first_leaf(value))
                    raise ConfigError(f"cannot set {first!r} (from overrides): {dotted!r} is not a section")
                continue
            _apply_overrides(node[key], value, here, strict)
            continue
        if key not in node:
            if strict:
                raise ConfigError(f"unknown setting {dotted!r} (from overrides)")
        elif isinstance(node[key], dict):
            raise ConfigError(f"cannot set {dotted!r} (from overrides): it is a section")
        node[key] = copy.deepcopy(value)


def _has_leaves(mapping):
    return any(not isinstance(v, dict) or _has_leaves(v) for v in mapping.values())


def _first_leaf(mapping):
    for key, value in mapping.items():
        if not isinstance(value, dict):
            return (key,)
        if _has_leaves(value):
            return (key,) + _first_leaf(value)
    return ()
