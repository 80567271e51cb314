"""What every package's configuration shares: the strict base of the config tables, sizes as people
write them, and the one directory that holds all default state.

The tables themselves live with the package that reads them (``sandbox.config``,
``benchmarks.config``); ``dgm.config`` composes them into the run's one ``RunConfig``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict

SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)
SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


class Strict(BaseModel):
    # Unknown keys are typos in a config file; reject them instead of silently ignoring them.
    model_config = ConfigDict(extra="forbid")


def parse_size(text: str) -> int:
    """Bytes of a Docker-style size: "512m", "2g", "1.5GiB", "1048576"."""
    match = SIZE.match(str(text))
    if not match:
        raise ValueError(f"not a size: {text!r} (use bytes or a number with k, m, g or t, e.g. 2g)")
    size = int(float(match.group(1)) * SIZE_UNITS[match.group(2).lower()])
    if size <= 0:
        raise ValueError(f"a size must be positive: {text!r}")
    return size


def human_size(n: int) -> str:
    """1.5 GiB, 200.0 MiB, 512 B: for reasons a person reads."""
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def dgm_home() -> Path:
    """All default state lives under one directory that DGM_HOME moves (tests point it at tmp)."""
    return Path(os.environ.get("DGM_HOME", Path.home() / ".dgm"))
