"""The parts one run wires together, built once from the config and shared by the loop's steps."""

from __future__ import annotations

import json
import random
import shutil
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from archive_db import Archive
from benchmarks.cache import GradeCache, grade_cached
from benchmarks.grader import GradeResult
from benchmarks.task import Task
from dgm.agents_repo import AgentRepo
from dgm.budget import Budget
from dgm.config import RunConfig
from dgm.gateway import CallContext, Gateway, ModelClient
from sandbox.container import DockerSandbox

EventSink = Callable[[str, dict[str, Any]], None]


@dataclass
class Runtime:
    config: RunConfig
    archive: Archive
    run_id: int
    repo: AgentRepo
    sandbox: DockerSandbox
    models: ModelClient
    tasks: list[Task]  # the usable tasks: broken ones left out by the suite check
    first_stage: tuple[str, ...] | None = None  # the suite's own first evaluation stage
    grade_cache: GradeCache | None = None
    budget: Budget = field(default_factory=lambda: Budget(cap=None))
    on_event: EventSink = lambda kind, data: None
    rng: random.Random = field(default_factory=random.Random)
    _rng_lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _events_lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    @property
    def run_dir(self) -> Path:
        return self.config.run_dir

    @property
    def tasks_by_id(self) -> dict[str, Task]:
        return {t.id: t for t in self.tasks}

    def child_rng(self) -> random.Random:
        """An independent RNG per attempt, drawn from the run's seeded RNG under a lock."""
        with self._rng_lock:
            return random.Random(self.rng.getrandbits(64))

    def gateway(self, agent_id: int | None, task_id: str | None, purpose: str) -> Gateway:
        ctx = self.call_context(agent_id, task_id, purpose)
        return Gateway(self.models, ctx, self.config.model.agent_model, self.config.limits)

    def grade(self, task: Task, patch: str) -> GradeResult:
        """Grade with the configured grader: SWE-bench's official harness when chosen, otherwise ours
        (through the grade cache)."""
        if task.benchmark == "swebench" and self.config.evaluation.swebench_grader == "official":
            from benchmarks.swebench import grade_official_one

            return grade_official_one(task, patch)
        return grade_cached(self.sandbox, task, patch, self.grade_cache)

    def call_context(self, agent_id: int | None, task_id: str | None, purpose: str) -> CallContext:
        return CallContext(run_id=self.run_id, agent_id=agent_id, task_id=task_id, purpose=purpose)

    @contextmanager
    def workdir(self, name: str) -> Iterator[Path]:
        """A scratch directory under the run directory, removed afterwards."""
        root = self.run_dir / "work"
        root.mkdir(parents=True, exist_ok=True)
        path = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root))
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)

    def emit(self, kind: str, **data: Any) -> None:
        """One structured event: appended to events.jsonl and handed to the progress display."""
        record = {"t": round(time.time(), 3), "event": kind, **data}
        with self._events_lock, open(self.run_dir / "events.jsonl", "a") as log:
            log.write(json.dumps(record, default=str) + "\n")
        self.on_event(kind, record)
