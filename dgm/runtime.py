"""The parts one run wires together, built once from the config and shared by the coordinator, the
watchdog and the gateways: the archive, the model client and its budgets, the stop request, the
event log, and which agents have work in flight (for the watchdog's stall check)."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.task import Task
from dgm.agents_repo import AgentRepo
from dgm.budget import Budget
from dgm.config import RunConfig
from dgm.context_window import ASSUMED, CONTEXT_TOKENS_ASSUMED, ContextWindow
from dgm.events import AgentFlagged, Event, from_name
from dgm.executor import KILL_GRACE_S
from dgm.gateway import Gateway
from dgm.model_client import CallContext
from dgm.protocols import Archive, Model, Sandbox

EventSink = Callable[[str, dict[str, Any]], None]


@dataclass
class StopRequest:
    """Why the run should stop taking new work (a signal, a budget, an outage), and since when.

    Created before the run (the CLI's signal handler holds it) and shared with the loop."""

    reason: str | None = None
    since: float | None = None  # time.monotonic() of the first request
    by_signal: bool = False
    _event: threading.Event = field(default_factory=threading.Event, init=False)

    def request(self, reason: str, by_signal: bool = False) -> bool:
        """Ask the run to stop; True the first time (later requests keep the first reason)."""
        if self._event.is_set():
            return False
        self.reason, self.since, self.by_signal = reason, time.monotonic(), by_signal
        self._event.set()
        return True

    @property
    def requested(self) -> bool:
        return self._event.is_set()


@dataclass
class Runtime:
    config: RunConfig
    archive: Archive
    run_id: int
    repo: AgentRepo
    sandbox: Sandbox
    models: Model
    tasks: list[Task]  # the usable tasks: broken ones left out by the suite check
    first_stage: tuple[str, ...] | None = None  # the suite's own first evaluation stage
    canaries: list[Task] = field(default_factory=list)  # cheating-canary tasks (dgm/canaries.py); none: no checks
    budget: Budget = field(default_factory=lambda: Budget(cap=None))
    on_event: EventSink = lambda kind, data: None
    stop: StopRequest = field(default_factory=StopRequest)
    kill_jobs: Callable[[float], None] = lambda grace_s: None  # the executor's kill_all: end every job now
    # The diagnosis model's context window (dgm/context_window.py): the diagnosis prompt is sized to it.
    context: ContextWindow = ContextWindow(CONTEXT_TOKENS_ASSUMED, ASSUMED)
    _events_lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    # The watchdog's view of attempts in flight: agent id -> monotonic time of its last progress.
    _progress: dict[int, float] = field(default_factory=dict, init=False)
    _stalled: set[int] = field(default_factory=set, init=False)
    _unwatched: set[int] = field(default_factory=set, init=False)
    _progress_lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    active_before: float = 0.0  # active seconds of the run's earlier sessions (the wall-time budget)
    session_start: float = field(default_factory=time.monotonic, init=False)

    @property
    def active_s(self) -> float:
        return self.active_before + time.monotonic() - self.session_start

    @property
    def run_dir(self) -> Path:
        return self.config.run_dir

    @property
    def tasks_by_id(self) -> dict[str, Task]:
        return {t.id: t for t in self.tasks}

    def rng(self, *scope: object) -> random.Random:
        """A seeded RNG for one decision (a generation's parents, an attempt's target). Derived from
        the run's seed and the scope alone, so a resumed run makes the same choices it would have."""
        return random.Random(":".join(map(str, (self.config.loop.seed, *scope))))

    # -- attempts in flight: progress for the watchdog, interruption by a stop ------------------
    def started(self, agent_id: int, watched: bool = True) -> None:
        """An attempt (or the seed's evaluation, unwatched: every step of it has its own time limit,
        and the run cannot go on without it) is in flight."""
        with self._progress_lock:
            self._progress[agent_id] = time.monotonic()
            if not watched:
                self._unwatched.add(agent_id)

    def touch(self, agent_id: int | None) -> None:
        """The attempt did something (a model call, a container, a step): it is not stalled."""
        with self._progress_lock:
            if agent_id in self._progress:
                self._progress[agent_id] = time.monotonic()

    def ended(self, agent_id: int) -> None:
        with self._progress_lock:
            self._progress.pop(agent_id, None)

    def idle_attempts(self, limit_s: float) -> list[tuple[int, float]]:
        """(agent, idle seconds) of attempts in flight with no progress for longer than limit_s."""
        now = time.monotonic()
        with self._progress_lock:
            return [(a, now - t) for a, t in self._progress.items()
                    if now - t > limit_s and a not in self._stalled and a not in self._unwatched]

    def in_flight(self) -> list[int]:
        with self._progress_lock:
            return sorted(self._progress)

    def mark_stalled(self, agent_id: int) -> None:
        with self._progress_lock:
            self._stalled.add(agent_id)

    def unstall(self, agent_id: int) -> None:
        """The stalled jobs of a settled agent were ended; its later jobs are watched afresh."""
        with self._progress_lock:
            self._stalled.discard(agent_id)

    def is_stalled(self, agent_id: int) -> bool:
        with self._progress_lock:
            return agent_id in self._stalled

    def shut_down(self, at_once: bool = False) -> None:
        """End every job in flight now: stop their processes, remove their containers, close the
        model channel. Each job gets a few seconds to remove its own containers, or none ``at_once``
        (a second signal). Safe from any thread (the watchdog's, a signal handler's)."""
        self.models.cancel()
        self.sandbox.close()
        self.kill_jobs(0.0 if at_once else KILL_GRACE_S)  # returns once the jobs have ended
        # What a job killed outright (it did not end within the executor's grace) left running.
        self.sandbox.remove_where({"dgm.run_dir": str(self.run_dir.resolve())})

    def stall_reason(self) -> str:
        return f"stalled: no progress for over {self.config.loop.attempt_stall_s:.0f} s (killed by the watchdog)"

    @property
    def interrupted(self) -> bool:
        """The run's containers and model channel are being shut down: results now are meaningless."""
        return self.sandbox.closed or self.models.cancelled or self.models.gave_up

    def gateway(self, agent_id: int | None, task_id: str | None, purpose: str, model: str | None = None) -> Gateway:
        """A gateway for one job's agent (or its diagnosis): its calls count against this run's budgets."""
        ctx = self.call_context(agent_id, task_id, purpose)
        return Gateway(self.models, ctx, model or self.config.model.agent_model, self.config.limits)

    def call_context(self, agent_id: int | None, task_id: str | None, purpose: str) -> CallContext:
        return CallContext(run_id=self.run_id, agent_id=agent_id, task_id=task_id, purpose=purpose)

    def emit(self, event: Event) -> None:
        """One event (dgm/events.py): appended to events.jsonl and handed to the live display."""
        data = event.fields()
        record = {"t": round(time.time(), 3), "event": event.name, **data}
        with self._events_lock, open(self.run_dir / "events.jsonl", "a") as log:
            log.write(json.dumps(record, default=str) + "\n")
        if isinstance(data.get("agent"), int):
            self.touch(data["agent"])
        self.on_event(event.name, record)

    def emit_named(self, name: str, **data: Any) -> None:
        """An event a lower layer reported through a plain callback (a benchmark check, the model client)."""
        self.emit(from_name(name, data))

    def flag(self, agent_id: int, reason: str, task: str | None, source: str) -> None:
        """Flag an agent as a suspected reward hacker (the first reason stays) and say so once."""
        if self.archive.flag_agent(agent_id, reason):
            self.emit(AgentFlagged(agent=agent_id, reason=reason, task=task, source=source))

    def notify(self, event: str, /, **data: Any) -> None:
        """Status for the live display only (e.g. the heartbeat): not an event worth logging."""
        self.on_event(event, {"t": round(time.time(), 3), "event": event, **data})
