"""Is a process working on a run right now, in what state, and what did it do last? Read from another
process (`dgm status`, the dashboard, the archive reader) through files only, never writing one: the
run's lock (held by the live process, dropped by the kernel when it dies), the heartbeat the watchdog
rewrites every few seconds, and the tail of the event log.

The writers of these files are dgm's (``dgm.recovery.RunLock``, ``dgm.watchdog``); their names are
here so both sides agree on them.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path
from typing import Any

LOCK_NAME = "run.lock"
HEARTBEAT = "heartbeat.json"
EVENTS = "events.jsonl"
EVENTS_TAIL = 65536  # bytes: the last event is in there unless one line is longer


def lock_holder(run_dir: Path) -> int | None:
    """The pid of the process working on this run now, or None when nobody holds its lock."""
    path = Path(run_dir) / LOCK_NAME
    if not path.exists():
        return None
    with open(path) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = handle.read().strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


def read_heartbeat(run_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((Path(run_dir) / HEARTBEAT).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def liveness(run_dir: Path) -> dict[str, Any]:
    """{"running": False} when no process holds the run; otherwise its pid, state (running, paused,
    stopping), the heartbeat's age, attempts in flight, spend and cap, and since when it is paused."""
    holder = lock_holder(run_dir)
    if holder is None:
        return {"running": False}
    beat = read_heartbeat(run_dir) or {}
    updated = beat.get("updated")
    return {
        "running": True,
        "pid": holder,
        "state": beat.get("state", "starting"),
        "heartbeat_age_s": round(time.time() - updated, 1) if isinstance(updated, (int, float)) else None,
        "in_flight": len(beat.get("in_flight") or []),
        "spent_usd": beat.get("spent_usd"),
        "cap_usd": beat.get("cap_usd"),
        "paused_since": beat.get("paused_since"),
        "stop_reason": beat.get("stop_reason"),
    }


def last_event(run_dir: Path) -> dict[str, Any] | None:
    """The newest complete record of the run's events.jsonl, or None."""
    try:
        with open(Path(run_dir) / EVENTS, "rb") as log:
            log.seek(max(0, log.seek(0, os.SEEK_END) - EVENTS_TAIL))
            lines = log.read().splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a line being written, or the cut start of the tail
        if isinstance(record, dict):
            return record
    return None
