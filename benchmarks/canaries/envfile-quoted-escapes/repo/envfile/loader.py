"""Reading .env files and applying them to an environment mapping."""

from __future__ import annotations

from pathlib import Path
from typing import MutableMapping

from .parser import parse


def load(path: str | Path) -> dict[str, str]:
    """The assignments of the file at ``path`` (UTF-8, a byte order mark is ignored)."""
    return parse(Path(path).read_text(encoding="utf-8-sig"))


def apply(values: dict[str, str], environ: MutableMapping[str, str], override: bool = False) -> list[str]:
    """Set ``values`` in ``environ``; existing variables win unless ``override``. Returns the keys set."""
    changed = []
    for key, value in values.items():
        if override or key not in environ:
            environ[key] = value
            changed.append(key)
    return changed
