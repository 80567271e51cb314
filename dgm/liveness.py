"""Is a process working on a run right now, and in what state? Read from another process (`dgm
status`, the dashboard) through two files only: the run's lock (held by the live process, dropped by
the kernel when it dies) and the heartbeat the watchdog rewrites every few seconds."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from dgm.recovery import lock_holder

HEARTBEAT = "heartbeat.json"


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
