"""The live display of a long command over many items (`bench check`, `regrade`): done of total, the
verdicts so far, elapsed time and ETA, with each notable item printed above it as soon as it is
found. Thread-safe: the items finish on worker threads."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class TaskProgress:
    def __init__(self, console: Console, description: str, total: int, verdicts: Sequence[str]) -> None:
        self.counts: Counter[str] = Counter({v: 0 for v in verdicts})
        self._lock = threading.Lock()
        self._progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(bar_width=24), MofNCompleteColumn(),
            TextColumn("{task.fields[verdicts]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            console=console, transient=True)
        self._task = self._progress.add_task(description, total=total, verdicts=self._verdicts())

    def __enter__(self) -> TaskProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def done(self, verdict: str, line: str | None = None) -> None:
        """One item finished with ``verdict``; ``line`` (plain text, never markup) is printed above the bar."""
        with self._lock:
            self.counts[verdict] += 1
            if line is not None:
                self._progress.console.print(line, markup=False, highlight=False)
            self._progress.update(self._task, advance=1, verdicts=self._verdicts())

    def _verdicts(self) -> str:
        return " ".join(f"{v} {n}" for v, n in self.counts.items())
