"""Writing a benchmark's cache folder exactly once, safely under concurrent loads."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_once(final: Path, write: Callable[[Path], None]) -> Path:
    """``final``, written by ``write`` into a temporary sibling folder and renamed into place, so a
    concurrent load never sees half a folder (the loser of a race drops its identical copy)."""
    if final.is_dir():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=final.parent))
    try:
        write(tmp)
        try:
            os.rename(tmp, final)
        except OSError:
            if not final.is_dir():
                raise
            shutil.rmtree(tmp, ignore_errors=True)  # another load got there first; same content
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final
