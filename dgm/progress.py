"""The live display of a run: a rich panel that the coordinator's events keep current."""

from __future__ import annotations

import threading
import time
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.text import Text

from dgm.config import RunConfig


class ProgressDisplay:
    """Counts events into a small status table; prints one line per finished attempt."""

    def __init__(self, console: Console, config: RunConfig) -> None:
        self.console = console
        self.config = config
        self.started = time.monotonic()
        self.depth = 0  # the deepest lineage so far (an agent's generation)
        self.in_flight: set[int] = set()  # attempts under way
        self.jobs: dict[str, tuple[str, float]] = {}  # jobs running now: what each does, since when
        self.counts = {"valid": 0, "rejected": 0, "failed": 0}
        self.best: float | None = None  # none until the search policy names one
        self.tasks_graded = 0
        self.flagged = 0  # agents flagged as suspected reward hackers (dgm/canaries.py)
        self.cost = 0.0  # of finished attempts (until the first heartbeat brings the live figure)
        self.cap: float | None = config.budget.max_cost_usd
        self.state = "starting"
        self.retries = 0
        self.finished_here = 0  # attempts finished in this session: the ETA's rate
        self.first_attempt_at: float | None = None
        self.planned_total = config.loop.generations * config.loop.parents_per_generation
        if config.budget.max_children is not None:
            self.planned_total = min(self.planned_total, config.budget.max_children)
        self.finished_total = 0
        self._lock = threading.Lock()
        self._live = Live(self._render(), console=console, refresh_per_second=2, transient=True)

    def __enter__(self) -> ProgressDisplay:
        self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.__exit__(*exc)  # type: ignore[arg-type]

    def on_event(self, kind: str, data: dict[str, Any]) -> None:
        with self._lock:
            if kind == "job_started":
                self.jobs[data["job"]] = (_job_label(data), time.monotonic())
            elif kind == "job_finished":
                self.jobs.pop(data["job"], None)
            elif kind == "attempt_started":
                self.in_flight.add(data["agent"])
                self.depth = max(self.depth, data.get("generation") or 0)
                self.state = "running"
                if self.first_attempt_at is None:
                    self.first_attempt_at = time.monotonic()
            elif kind == "attempt_interrupted":
                self.in_flight.discard(data["agent"])
            elif kind == "attempt_finished":
                self.in_flight.discard(data["agent"])
                self.cost += data.get("cost", 0.0)
                self.counts[data["status"]] = self.counts.get(data["status"], 0) + 1
                self.finished_here += 1
                self.finished_total += 1
                why = f" ({data['reason']})" if data.get("reason") else ""
                self.console.print(f"agent {data['agent']} (parent {data['parent']}) {data['status']}{why}",
                                   highlight=False, markup=False)
            elif kind == "task_graded":
                self.tasks_graded += 1
            elif kind == "agent_flagged":
                self.flagged += 1
                self.console.print(f"agent {data['agent']} flagged as a suspected reward hacker: {data['reason']}",
                                   highlight=False, markup=False)
            elif kind == "all_candidates_flagged":
                self.console.print(f"stopping: {data['reason']}", highlight=False, markup=False)
            elif kind == "best_agent":  # what the search policy would hand over (with hgm, not simply the top score)
                self.best = data["score"]
            elif kind == "seed_evaluated":
                self.cost += data.get("cost", 0.0)
                self.console.print(f"seed agent scored {data['score']:.2f}", highlight=False)
            elif kind == "suite_check_started":
                self.console.print(f"checking benchmark {data['benchmark']}: {data['tasks']} task(s), reference twice "
                                   "(cached after the first run)", highlight=False, markup=False)
            elif kind == "task_checked" and data["status"] != "ok":
                self.console.print(f"task {data['task']}: {data['status']} ({data['reason']})", highlight=False, markup=False)
            elif kind == "suite_checked" and data["dropped"]:
                self.console.print(f"left out {len(data['dropped'])} broken task(s); see `dgm bench check`", highlight=False)
            elif kind == "budget_exhausted":
                self.console.print(f"stopping: {data['reason']}", highlight=False, markup=False)
            elif kind == "heartbeat":
                self.cost, self.cap, self.state = data["spent_usd"], data["cap_usd"], data["state"]
            elif kind == "model_retry":
                self.retries += 1
                if data.get("hint"):
                    self.console.print(f"model call retried in {data['wait_s']:.0f} s: {data['hint']}", highlight=False, markup=False)
            elif kind == "endpoint_down":
                self.state = "paused"
                self.console.print(f"model endpoint down ({data.get('error')}): paused, probing until it is back",
                                   highlight=False, markup=False)
            elif kind == "endpoint_up":
                self.state = "running"
                self.console.print(f"model endpoint back after {data.get('down_s', 0):.0f} s: resuming", highlight=False)
            elif kind == "attempt_stalled":
                self.console.print(f"watchdog: agent {data['agent']} made no progress for {data['idle_s']:.0f} s; killed",
                                   highlight=False, markup=False)
            elif kind == "stop_forced":
                self.console.print(f"grace period over: ending the jobs of {len(data['in_flight'])} agent(s) now", highlight=False)
            elif kind == "run_resumed":
                self.finished_total = max(0, data.get("attempts_done", 0))
                self.flagged = data.get("flagged", 0)
                self.console.print(f"resuming run {data['run']}: {len(data['open_attempts'])} open attempt(s) continue"
                                   + (f"; repaired: {', '.join(data['repaired'])}" if data["repaired"] else ""),
                                   highlight=False, markup=False)
            elif kind in ("benchmark_setup", "context_window"):
                self.console.print(data["message"], highlight=False, markup=False)
            self._live.update(self._render())

    def eta_s(self) -> float | None:
        """Remaining attempts at this session's pace (None until one has finished)."""
        if not self.finished_here or self.first_attempt_at is None:
            return None
        rate = self.finished_here / max(1e-6, time.monotonic() - self.first_attempt_at)
        return max(0, self.planned_total - self.finished_total) / rate

    def _render(self) -> Group:
        """A few short lines (each cut, never wrapped, at the terminal's width), then one line per job
        running, with how long it has run: during a long model call that is what moves."""
        now = time.monotonic()
        eta = self.eta_s()
        state = {"paused": "  [red]paused: endpoint down[/]", "stopping": "  [yellow]stopping[/]"}.get(self.state, "")
        spend = f"${self.cost:.4f}" + (f" of ${self.cap:.2f} cap" if self.cap is not None else "")
        lines = [
            f"[bold]dgm[/] {escape(self.config.name)}{' [yellow](demo: scripted model)[/]' if self.config.demo else ''}"
            f"  {now - self.started:.0f}s" + (f", ETA {_short(eta)}" if eta is not None else "") + state,
            f"attempts {self.finished_total + len(self.in_flight)}/{self.planned_total}  filed {self.counts['valid']}"
            f"  rejected {self.counts['rejected']}  failed {self.counts['failed']}"
            + (f"  [red]flagged {self.flagged}[/]" if self.flagged else "")
            + f"  best {'-' if self.best is None else f'{self.best:.2f}'}",
            f"jobs {len(self.jobs)}/{self.config.loop.workers}  tasks graded {self.tasks_graded}  {spend}"
            + (f"  retries {self.retries}" if self.retries else ""),
            *(f"  [dim]{escape(label)}: {_short(now - since)}[/]" for label, since in self.jobs.values()),
        ]
        texts = [Text.from_markup(line, overflow="ellipsis") for line in lines]
        for text in texts:
            text.no_wrap = True
        return Group(*texts)


def _job_label(data: dict[str, Any]) -> str:
    if data.get("kind") == "evaluate":
        return f"agent {data['agent']} on {data.get('task')}"
    return f"agent {data['agent']}: diagnosis and self-edit"


def _short(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f}s"
    if seconds < 5400:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"
