"""The live display of a run: a rich panel that the loop's events keep current."""

from __future__ import annotations

import threading
import time
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from dgm.config import RunConfig


class ProgressDisplay:
    """Counts events into a small status table; prints one line per finished attempt."""

    def __init__(self, console: Console, config: RunConfig) -> None:
        self.console = console
        self.config = config
        self.started = time.monotonic()
        self.generation = 0
        self.in_flight: set[int] = set()
        self.counts = {"valid": 0, "rejected": 0, "failed": 0}
        self.best = 0.0
        self.tasks_graded = 0
        self.cost = 0.0
        self._lock = threading.Lock()
        self._live = Live(self._render(), console=console, refresh_per_second=2, transient=True)

    def __enter__(self) -> "ProgressDisplay":
        self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.__exit__(*exc)  # type: ignore[arg-type]

    def on_event(self, kind: str, data: dict[str, Any]) -> None:
        with self._lock:
            if kind == "generation_started":
                self.generation = data["generation"]
            elif kind == "attempt_started":
                self.in_flight.add(data["agent"])
            elif kind == "attempt_finished":
                self.in_flight.discard(data["agent"])
                self.cost += data.get("cost", 0.0)
                self.counts[data["status"]] = self.counts.get(data["status"], 0) + 1
                why = f" ({data['reason']})" if data.get("reason") else ""
                self.console.print(f"gen {self.generation}: agent {data['agent']} (parent {data['parent']}) {data['status']}{why}",
                                   highlight=False, markup=False)
            elif kind == "task_graded":
                self.tasks_graded += 1
            elif kind == "seed_evaluated":
                self.best = max(self.best, data["score"])
                self.cost += data.get("cost", 0.0)
                self.console.print(f"seed agent scored {data['score']:.2f}", highlight=False)
            elif kind == "generation_finished":
                self.best = max(self.best, data["best"])
            elif kind == "suite_check_started":
                self.console.print(f"checking benchmark {data['benchmark']}: {data['tasks']} task(s), reference twice "
                                   "(cached after the first run)", highlight=False, markup=False)
            elif kind == "task_checked" and data["status"] != "ok":
                self.console.print(f"task {data['task']}: {data['status']} ({data['reason']})", highlight=False, markup=False)
            elif kind == "suite_checked" and data["dropped"]:
                self.console.print(f"left out {len(data['dropped'])} broken task(s); see `dgm bench check`", highlight=False)
            elif kind == "budget_exhausted":
                self.console.print(f"stopping: {data['reason']}", highlight=False, markup=False)
            elif kind == "benchmark_setup":
                self.console.print(data["message"], highlight=False, markup=False)
            self._live.update(self._render())

    def _render(self) -> Table:
        table = Table.grid(padding=(0, 2))
        elapsed = time.monotonic() - self.started
        table.add_row(
            f"[bold]dgm[/] {self.config.name}{' [yellow](demo: scripted model)[/]' if self.config.demo else ''}",
            f"generation {self.generation}/{self.config.loop.generations}",
            f"in flight {len(self.in_flight)}",
            f"filed {self.counts['valid']} rejected {self.counts['rejected']} failed {self.counts['failed']}",
            f"best {self.best:.2f}",
            f"tasks graded {self.tasks_graded}",
            f"${self.cost:.4f} (finished attempts)",
            f"{elapsed:.0f}s",
        )
        return table
