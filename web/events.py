"""The run's event log (events.jsonl) read incrementally by byte offset: the live activity feed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CHUNK = 256 * 1024  # at most this much per answer; the page asks again from the returned offset
TAIL = 32 * 1024  # where a first look starts: the last few hundred events are plenty


def read(run_dir: Path, offset: int | None, limit: int = 200) -> dict[str, Any]:
    """Complete events after ``offset`` (None: the recent tail) and the offset to ask from next."""
    path = run_dir / "events.jsonl"
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return {"events": [], "offset": 0, "size": 0}
    if offset is None or offset < 0:
        start, skip_partial = max(0, size - TAIL), size > TAIL
    else:
        start, skip_partial = (offset, False) if offset <= size else (0, False)  # a shorter file was replaced
    with open(path, "rb") as log:
        log.seek(start)
        data = log.read(min(CHUNK, size - start))
    if skip_partial:  # the tail started mid-line
        cut = data.find(b"\n") + 1
        data, start = data[cut:], start + cut
    end = data.rfind(b"\n") + 1  # a line still being written is left for the next question
    events = []
    for line in data[:end].splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            events.append(record)
    return {"events": events[-limit:], "offset": start + end, "size": size}
