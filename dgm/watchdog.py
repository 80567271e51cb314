"""The run's watchdog: one background thread that keeps an unattended run honest.

Every few seconds it
- writes RUN_DIR/heartbeat.json (pid, state, active time, spend, attempts in flight),
  which `dgm status` reads from another shell to tell a live run from a dead one;
- stops the run when its wall-time budget is used up (active time, summed across resumes);
- enforces the graceful stop's bound: once a stop is older than loop.stop_grace_s, the jobs still
  in flight are killed (their process groups and containers) and the model channel is closed;
- marks attempts that made no progress for loop.attempt_stall_s (no job message, model call or
  container for that long): their containers are removed here, the coordinator ends their jobs'
  processes and records them failed. Time the run spends paused on a down endpoint is not a stall.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from archive_db.liveness import HEARTBEAT, read_heartbeat
from dgm.events import AttemptStalled, BudgetExhaustedEvent, EndpointGaveUp, StopForced, WatchdogError
from dgm.runtime import Runtime


def previous_active_s(run_dir: Path) -> float:
    """The active time of the run's earlier sessions (the wall-time budget counts all of them)."""
    beat = read_heartbeat(run_dir) or {}
    value = beat.get("active_s")
    return float(value) if isinstance(value, (int, float)) else 0.0


def wall_time_reason(rt: Runtime) -> str | None:
    cap = rt.config.budget.max_wall_time_s
    return f"wall-time budget {cap:.0f} s reached" if cap is not None and rt.active_s >= cap else None


class Watchdog:
    def __init__(self, rt: Runtime, interval_s: float | None = None) -> None:
        self.rt = rt
        loop = rt.config.loop
        bounds = [2.0, loop.attempt_stall_s / 4] + ([loop.stop_grace_s / 4] if loop.stop_grace_s > 0 else [])
        self.interval_s = interval_s or max(0.2, min(bounds))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="dgm-watchdog", daemon=True)

    def start(self) -> Watchdog:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.tick(final=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.tick()
            except Exception as exc:  # noqa: BLE001 - the watchdog must outlive any one bad tick
                self.rt.emit(WatchdogError(error=f"{type(exc).__name__}: {exc}"))

    def tick(self, final: bool = False) -> None:
        if not final:
            self._stop_on_outage()
            self._enforce_wall_time()
            self._enforce_grace()
            self._kill_stalled()
        self._heartbeat(final)

    def _enforce_wall_time(self) -> None:
        rt = self.rt
        reason = wall_time_reason(rt)
        if reason and rt.stop.request(reason):
            rt.emit(BudgetExhaustedEvent(run=rt.run_id, reason=reason, active_s=round(rt.active_s, 1)))

    def _stop_on_outage(self) -> None:
        rt = self.rt
        if rt.models.gave_up and rt.stop.request(f"model endpoint {rt.config.model.base_url} down for over "
                                                 f"{rt.config.model.max_pause_s:.0f} s"):
            # Nothing useful can happen without the model: end the attempts now; they resume with the run.
            rt.emit(EndpointGaveUp(run=rt.run_id, reason=rt.stop.reason))
            rt.shut_down()

    def _enforce_grace(self) -> None:
        rt = self.rt
        if rt.stop.since is None or rt.interrupted:
            return
        if time.monotonic() - rt.stop.since >= rt.config.loop.stop_grace_s:
            rt.emit(StopForced(in_flight=rt.in_flight(), grace_s=rt.config.loop.stop_grace_s))
            rt.shut_down()

    def _kill_stalled(self) -> None:
        rt = self.rt
        limit = rt.config.loop.attempt_stall_s
        if rt.models.paused:
            # Waiting for the endpoint is not a stall: every attempt is waiting on it.
            for agent in rt.in_flight():
                rt.touch(agent)
            return
        for agent, idle in rt.idle_attempts(limit):
            # The coordinator ends its jobs' processes and records it failed; its containers go now.
            rt.mark_stalled(agent)
            removed = rt.sandbox.remove_where({"dgm.agent": str(agent)})
            rt.emit(AttemptStalled(agent=agent, idle_s=round(idle, 1), containers_removed=removed))

    def _heartbeat(self, final: bool) -> None:
        rt = self.rt
        state = "stopped" if final else "stopping" if rt.stop.requested else "paused" if rt.models.paused else "running"
        beat = {
            "pid": os.getpid(), "updated": round(time.time(), 3), "state": state, "stop_reason": rt.stop.reason,
            "active_s": round(rt.active_s, 1), "in_flight": rt.in_flight(),
            "spent_usd": round(rt.budget.spent, 6), "cap_usd": rt.budget.cap,
            "paused_since": rt.models.outage_started,
        }
        path = rt.run_dir / HEARTBEAT
        tmp = path.with_name(f".{HEARTBEAT}.tmp")
        tmp.write_text(json.dumps(beat))
        os.replace(tmp, path)  # atomic: a reader never sees half a heartbeat
        rt.notify("heartbeat", **beat)
