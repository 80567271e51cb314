"""Task throughput and worker utilisation of the run's engine, with one worker against two.

It runs the same short evolution run (the library's `run_dgm`: real sandbox, grader, archive and
git lineage) once per worker count, each in a fresh temporary run directory, against the scripted
model (`ScriptedModelServer`, real OpenAI HTTP, a fresh server per run). The script is the demo's
(dgm/demo.py): the seed solves the easy tasks, the diagnoses rotate verify, break, review, noop (so
some children are filed and evaluated, others rejected early), with two changes:
  - the agent's first reply on each task waits a per-task delay, so tasks differ in length: every
    third task is long (`--long`, 6 s), the others short (`--short`, 1 s);
  - an agent that cannot solve a task writes a note instead of giving up without a patch, so every
    task's patch is really graded (no empty-patch shortcut).
The suite check, the grade cache and the cheating canaries are off: every task graded is one agent
container solving it and one grading container grading it; all tasks form one stage, so every
evaluated agent is graded on all of them. The rotation of diagnoses makes the number of tasks graded
the same whatever the order in which parallel attempts ask.

What it computes, from the run's own record (events.jsonl, and the archive for a cross-check):
  busy      a worker is busy while it carries one unit of work:
              generation loop  an attempt, attempt_started -> attempt_finished (or
                               attempt_interrupted), matched by `agent`; and the seed's evaluation,
                               seed_evaluation_started -> seed_evaluated (the main thread, in the
                               place of a worker: nothing else runs meanwhile);
              job engine       a job, job_started -> job_finished (or job_failed, job_interrupted),
                               matched by the `job` field (by `worker` when there is no job id);
                               used whenever the run emitted job_started, in which case the events
                               above are ignored. A `worker` field gives per-worker utilisation, a
                               `kind` field (expand, evaluate) busy time per kind.
            busy time is the sum of these intervals (an interval left open ends at the run's end).
  wall      from the first busy interval's start to run_finished (setup before it, the same for
            every engine, is shown apart as `setup`).
  tasks     task_graded events that are not canary checks (the archive's count must agree).
  s/task    the mean time to solve and grade one task (the archive's evaluations.duration_s): when
            it grows with the workers, they are contending for the machine (2 cores here), which
            bounds the speed-up whatever the engine does.
  throughput  tasks / wall;  utilisation  busy / (workers x wall);
  conc      the most busy intervals open at once (never more than the workers, or busy is wrong).
It prints one row per run, then throughput(2)/throughput(1), utilisation(1), utilisation(2) and
the engine detected from the events.

    python benchmarks/perf/engine_scaling.py [--generations N] [--tasks N] [--parents N] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout without installing

from archive_db import Archive  # noqa: E402
from benchmarks.registry import load_benchmark  # noqa: E402
from benchmarks.task import Task  # noqa: E402
from dgm.config import EvaluationConfig, LoopConfig, ModelConfig, RunConfig  # noqa: E402
from dgm.demo import AGENT_MODEL, DEMO_PRICES, DIAGNOSIS_MODEL, _call, demo_script  # noqa: E402
from dgm.loop import run_dgm  # noqa: E402
from dgm.models.scripted import ScriptedModelServer  # noqa: E402

# A fixed mix of difficulties; the first three already hold an easy, a medium and a hard one.
TASKS = ["slugify-unicode", "histobin-max-value-dropped", "confini-inline-comments", "roman-subtractive-parsing",
         "semver-prerelease-order", "tinycalc-power-operator", "lru-cache-get-recency", "money-format-rounding"]
GIVE_UP = _call("cd /repo && echo 'I could not find the cause of this issue.' > NOTES.md")
# (start event, end events, key field) of a busy interval, per engine.
LOOP_UNITS = [("seed_evaluation_started", {"seed_evaluated"}, "agent"),
              ("attempt_started", {"attempt_finished", "attempt_interrupted"}, "agent")]
JOB_UNITS = [("job_started", {"job_finished", "job_failed", "job_interrupted"}, "job")]
LOOP_KINDS = {"seed_evaluation_started": "seed evaluation", "attempt_started": "attempt"}


def task_delays(tasks: list[Task], short: float, long: float) -> dict[str, float]:
    return {t.id: long if i % 3 == 1 else short for i, t in enumerate(tasks)}


def timed_script(tasks: list[Task], delays: dict[str, float]) -> dict[str, Any]:
    """The demo's script with each task's first agent reply delayed, and no patch-less give-up."""
    script = demo_script(tasks)
    for rule in script["rule"]:
        name = rule["name"]
        task = name.removeprefix("solve-").removeprefix("give-up-").removesuffix("-review")
        if task in delays and name != task:
            rule["delay"] = delays[task]
            if name.startswith("give-up-"):
                rule["reply"] = GIVE_UP
    return script


def run_config(run_dir: Path, base_url: str, task_ids: list[str], workers: int, args: argparse.Namespace) -> RunConfig:
    return RunConfig(
        name=f"engine-scaling-w{workers}", run_dir=run_dir,
        model=ModelConfig(base_url=base_url, agent_model=AGENT_MODEL, diagnosis_model=DIAGNOSIS_MODEL,
                          api_key_env="DGM_PERF_NO_KEY", prices=DEMO_PRICES),
        loop=LoopConfig(generations=args.generations, parents_per_generation=args.parents, workers=workers),
        evaluation=EvaluationConfig(tasks=task_ids, stage_sizes=[len(task_ids)], check_suite=False,
                                    grade_cache=False, cheat_canaries=False),
    )


@dataclass
class Measurement:
    workers: int
    engine: str
    setup_s: float
    wall_s: float
    tasks: int
    archive_tasks: int
    task_s: float  # mean seconds to solve and grade one task
    busy_s: float
    max_concurrent: int
    children: str  # "valid/rejected/failed"
    per_worker: dict[str, float]  # utilisation by worker, when the events name workers
    by_kind: dict[str, float]  # busy seconds by kind of work (seed evaluation, attempt; expand, evaluate)

    @property
    def throughput(self) -> float:
        return self.tasks / self.wall_s if self.wall_s else 0.0

    @property
    def utilisation(self) -> float:
        return self.busy_s / (self.workers * self.wall_s) if self.wall_s else 0.0


Interval = tuple[float, float, Any, str]  # start, end, worker (None: not named), kind of work


def busy_intervals(events: list[dict[str, Any]], end_t: float) -> tuple[str, list[Interval]]:
    """(engine, busy intervals) from the run's events; see the module docstring."""
    jobs = any(e["event"] == "job_started" for e in events)
    units = JOB_UNITS if jobs else LOOP_UNITS
    open_: dict[tuple[str, Any], tuple[float, Any, str]] = {}
    intervals: list[Interval] = []
    for e in events:
        for start, ends, key in units:
            if e["event"] != start and e["event"] not in ends:
                continue
            ident = (start, e.get(key, e.get("worker")))
            if ident[1] is None:
                raise SystemExit(f"event {e['event']} names neither a `{key}` nor a `worker`: {e}")
            if e["event"] == start:
                open_[ident] = (e["t"], e.get("worker"), e.get("kind", "job") if jobs else LOOP_KINDS[start])
            elif ident in open_:
                began, worker, kind = open_.pop(ident)
                intervals.append((began, e["t"], worker, kind))
    if open_:
        print(f"warning: {len(open_)} busy intervals never ended; counted up to the run's end")
    intervals += [(began, end_t, worker, kind) for began, worker, kind in open_.values()]
    return ("jobs" if jobs else "generation loop"), sorted(intervals, key=lambda i: i[0])


def max_concurrent(intervals: list[Interval]) -> int:
    edges = sorted([(i[0], 1) for i in intervals] + [(i[1], -1) for i in intervals])  # an end before a start at one t
    now = peak = 0
    for _, step in edges:
        now += step
        peak = max(peak, now)
    return peak


def measure(run_dir: Path, workers: int, called_at: float) -> Measurement:
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines() if line.strip()]
    finished = [e["t"] for e in events if e["event"] == "run_finished"]
    end_t = finished[-1] if finished else events[-1]["t"]
    engine, intervals = busy_intervals(events, end_t)
    if not intervals:
        raise SystemExit(f"{run_dir}: no busy interval in the events; did the run do anything?")
    start_t = intervals[0][0]
    wall = end_t - start_t
    per_worker: dict[str, float] = {}
    by_kind: dict[str, float] = {}
    for s, e, worker, kind in intervals:
        by_kind[kind] = by_kind.get(kind, 0.0) + e - s
        if worker is not None:
            per_worker[str(worker)] = per_worker.get(str(worker), 0.0) + (e - s) / wall
    archive = Archive.in_dir(run_dir)
    try:
        agents = archive.agents(archive.latest_run().id)
        evaluations = [e for a in agents for e in archive.evaluations(a.id)]  # canary checks excluded
        statuses = [a.status for a in agents if a.parent_id is not None]
    finally:
        archive.close()
    return Measurement(
        workers=workers, engine=engine, setup_s=start_t - called_at, wall_s=wall,
        tasks=sum(1 for e in events if e["event"] == "task_graded" and not e.get("canary")),
        archive_tasks=len(evaluations), task_s=statistics.mean(e.duration_s for e in evaluations) if evaluations else 0.0,
        busy_s=sum(i[1] - i[0] for i in intervals), max_concurrent=max_concurrent(intervals),
        children="/".join(str(statuses.count(s)) for s in ("valid", "rejected", "failed")),
        per_worker=per_worker, by_kind=by_kind,
    )


def run_once(workers: int, tasks: list[Task], delays: dict[str, float], args: argparse.Namespace) -> Measurement:
    with tempfile.TemporaryDirectory(prefix=f"dgm-scaling-w{workers}-") as tmp, \
            ScriptedModelServer(timed_script(tasks, delays)) as server:
        run_dir = Path(tmp) / "run"
        called_at = time.time()

        def on_event(kind: str, record: dict[str, Any]) -> None:
            if kind in ("seed_evaluated", "generation_finished", "run_finished"):
                what = f"generation {record['generation']}" if "generation" in record else kind.replace("_", " ")
                print(f"  workers={workers}  {record['t'] - called_at:6.1f} s  {what}", flush=True)

        run_dgm(run_config(run_dir, server.base_url, [t.id for t in tasks], workers, args), on_event=on_event)
        return measure(run_dir, workers, called_at)


HEADER = (f"{'workers':>7}{'setup s':>8}{'wall s':>8}{'tasks':>6}{'s/task':>8}{'tasks/s':>9}{'busy s':>8}{'util':>7}"
          f"{'conc':>6}{'v/r/f':>10}   busy by kind (and by worker)")


def row(m: Measurement) -> str:
    kinds = ", ".join(f"{k} {s:.0f} s" for k, s in sorted(m.by_kind.items()))
    workers = "".join(f"  {w}:{u:.0%}" for w, u in sorted(m.per_worker.items()))
    return (f"{m.workers:>7}{m.setup_s:>8.1f}{m.wall_s:>8.1f}{m.tasks:>6}{m.task_s:>8.2f}{m.throughput:>9.3f}"
            f"{m.busy_s:>8.1f}{m.utilisation:>7.0%}{m.max_concurrent:>6}{m.children:>10}   {kinds}{workers}")


def report(one: list[Measurement], two: list[Measurement]) -> None:
    runs = [m for pair in zip(one, two, strict=True) for m in pair]
    print(f"\n{HEADER}")
    for m in runs:
        print(row(m))
    for m in runs:
        if m.tasks != m.archive_tasks:
            print(f"warning: workers={m.workers}: {m.tasks} task_graded events, {m.archive_tasks} evaluations in the archive")
        if m.max_concurrent > m.workers:
            print(f"warning: workers={m.workers}: {m.max_concurrent} busy intervals overlap: busy time is overcounted")
    if len({m.tasks for m in runs}) > 1:
        print("warning: the runs graded different numbers of tasks; compare throughput, not wall time")
    mean = statistics.mean
    ratio = mean(m.throughput for m in two) / mean(m.throughput for m in one)
    pairs = ", ".join(f"{b.throughput / a.throughput:.2f}x" for a, b in zip(one, two, strict=True))
    print(f"\nengine: {', '.join(sorted({m.engine for m in runs}))}")
    print(f"throughput(2)/throughput(1): {ratio:.2f}x" + (f"  (per pair: {pairs})" if len(one) > 1 else ""))
    print(f"utilisation(1): {mean(m.utilisation for m in one):.0%}   utilisation(2): {mean(m.utilisation for m in two):.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generations", type=int, default=3)
    parser.add_argument("--parents", type=int, default=2, help="parents per generation")
    parser.add_argument("--tasks", type=int, default=6, help=f"the first N of a fixed mix of {len(TASKS)} built-in tasks")
    parser.add_argument("--short", type=float, default=1.0, help="model delay (s) on a short task")
    parser.add_argument("--long", type=float, default=6.0, help="model delay (s) on a long task (every third)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per worker count, interleaved")
    args = parser.parse_args()
    if not 1 <= args.tasks <= len(TASKS):
        parser.error(f"--tasks must be 1 to {len(TASKS)}")

    tasks = load_benchmark(EvaluationConfig(tasks=TASKS[: args.tasks])).tasks
    delays = task_delays(tasks, args.short, args.long)
    print(f"{len(tasks)} tasks (model delay: " + ", ".join(f"{t} {d:g} s" for t, d in delays.items()) + ")")
    print(f"{args.generations} generations x {args.parents} parents, seed evaluation included; "
          "grade cache, suite check and canaries off")
    results: dict[int, list[Measurement]] = {1: [], 2: []}
    for _ in range(args.repeat):
        for workers in (1, 2):
            results[workers].append(run_once(workers, tasks, delays, args))
    report(results[1], results[2])


if __name__ == "__main__":
    main()
