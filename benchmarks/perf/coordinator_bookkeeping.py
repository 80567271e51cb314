"""The coordinator's own work per job (decide, store, commit) on a 5,000-agent archive and on a small one.

The target (issue 11): bookkeeping per job at most 50 ms with a 5,000-agent archive, and under 2% of a
job's wall time.

It makes two run directories and resumes each with the library's `run_dgm(resume=True)`: real archive
SQLite, real agents.git, real LocalExecutor job processes, real Docker sandbox and grader, and the
demo's scripted model (`ScriptedModelServer` with dgm/demo.py's script: the seed solves the easy
task, diagnoses rotate verify, break, review, noop, so some children are committed, validated and
evaluated, others rejected at the gate or as empty), served from a process of its own as a real
endpoint is (`--in-process-model`: from a thread of this one, as `dgm run --demo` serves it):
  big    benchmarks/perf/make_big_run.py's synthetic archive (`--agents`, 5,000), its evaluations
         recorded on the real built-in tasks the run uses (`--tasks`: an easy, a medium, a hard one);
  small  the same with `--small` agents (1: the seed alone, already evaluated).
Each is made resumable first: agents.git holds the seed agent, every agent's commit is the seed's
(pinned at refs/agents/<id> in one `git update-ref --stdin`), the run's stored config is the one it
resumes with, and the attempts make_big_run leaves 'running' are recorded 'failed' (so both runs do
the same kind of work: new attempts only, none carried on). Each resume then makes `--attempts` new
attempts (8) with `--workers` (2); `loop.generations` is set so exactly that many are left.

What it measures, on the coordinator's thread only (the thread that runs `Coordinator.run`):
  bookkeeping  time spent inside Coordinator._fill (the policy's decisions, a new child's row and
               target, each job's gateways and process start), Coordinator._handle (recording each
               message: evaluations, diagnoses, self-edits committed in agents.git, verdicts, events,
               a finished job's clean-up), Coordinator._kill_stalled and DgmPolicy.exhausted, timed
               with time.perf_counter around each call. Waiting in executor.messages() is not
               bookkeeping: it is the coordinator idle. Per call: the count, the total and the longest.
  parts        the same time split by what it went to (the outermost of these calls counts):
                 decide   DgmPolicy.next, choose_target
                 store    every public Archive method (SQLite reads and writes)
                 commit   agents.git: AgentRepo.commit_patch, AgentRepo.pin
                 events   Runtime.emit (events.jsonl and the live display)
                 jobs     LocalExecutor.submit and kill, the gateways' start and stop, the diagnosis brief
                 other    the rest (the coordinator's own Python)
               and the garbage collector's pauses inside them (any part), by generation;
               and by function (the ten costliest). One of them is a wait, not work: closing a finished
               job's gateways (Gateway.__exit__) blocks until each gateway's accept loop next polls;
               the key figures also give the bookkeeping without it.
  jobs         the job_finished events in RUN_DIR/events.jsonl (one per job, whatever its outcome),
               and their duration_s: a job's wall time, from its start to its end being handled.
  per job      bookkeeping / jobs (ms);  share  bookkeeping / the jobs' summed wall time, which is the
               mean bookkeeping per job over the mean job's wall time.
  load         the one-off read of the archive into memory when the run resumes (run_state.from_archive):
               shown apart, it is not per job.
The scripted model answers at once, so these jobs last seconds where a real model's last minutes: the
share is an upper bound on a real run's. The machine's other work (the jobs' processes, containers,
the gateways' threads) competes for the same cores, which inflates bookkeeping too.

`--profile N` also runs cProfile on the coordinator's thread while it does bookkeeping (its
overhead inflates the figures then) and prints the N costliest functions of each run, cumulative.

    python benchmarks/perf/coordinator_bookkeeping.py [--agents 5000] [--small 1] [--attempts 8]
        [--workers 2] [--tasks 3] [--profile N] [--in-process-model] [--keep DIR]
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import gc
import inspect
import io
import json
import pstats
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # run from a checkout without installing

from sqlalchemy import update  # noqa: E402

import archive_db.agents_repo as archive_repo  # noqa: E402
import dgm.coordinator as coordinator  # noqa: E402
import dgm.loop as loop  # noqa: E402
from archive_db import Archive  # noqa: E402
from archive_db.schema import Agent, Run, utcnow  # noqa: E402
from benchmarks.perf.make_big_run import make_big_run  # noqa: E402
from benchmarks.registry import load_benchmark  # noqa: E402
from dgm.agents_repo import AgentRepo  # noqa: E402
from dgm.config import EvaluationConfig, LoopConfig, ModelConfig, RunConfig  # noqa: E402
from dgm.demo import AGENT_MODEL, DEMO_PRICES, DIAGNOSIS_MODEL, demo_script  # noqa: E402
from dgm.executor import LocalExecutor  # noqa: E402
from dgm.gateway import Gateway  # noqa: E402
from dgm.models.scripted import ScriptedModelServer  # noqa: E402
from dgm.policy import DgmPolicy  # noqa: E402
from dgm.runtime import Runtime  # noqa: E402
from kernel.git import git  # noqa: E402

TASKS = ["slugify-unicode", "histobin-max-value-dropped", "confini-inline-comments", "roman-subtractive-parsing",
         "semver-prerelease-order", "tinycalc-power-operator"]  # easy, medium, hard, then more of each
TARGET_MS = 50.0
GATEWAY_EXIT = f"jobs: {Gateway.__module__}.{Gateway.__exit__.__qualname__}"
TARGET_SHARE = 0.02
SECTIONS = {"fill": (coordinator.Coordinator, "_fill"), "handle": (coordinator.Coordinator, "_handle"),
            "kill_stalled": (coordinator.Coordinator, "_kill_stalled"), "exhausted": (DgmPolicy, "exhausted")}
PARTS: dict[str, list[tuple[Any, str]]] = {
    "decide": [(DgmPolicy, "next"), (coordinator, "choose_target")],
    "store": [(Archive, name) for name, value in vars(Archive).items() if inspect.isfunction(value) and not name.startswith("_")],
    "commit": [(archive_repo.AgentRepo, "commit_patch"), (archive_repo.AgentRepo, "pin")],
    "events": [(Runtime, "emit")],
    "jobs": [(LocalExecutor, "submit"), (LocalExecutor, "kill"), (Gateway, "__enter__"), (Gateway, "__exit__"),
             (coordinator, "brief")],
}


@dataclass
class Stat:
    n: int = 0
    total_s: float = 0.0
    max_s: float = 0.0

    def add(self, seconds: float) -> None:
        self.n, self.total_s, self.max_s = self.n + 1, self.total_s + seconds, max(self.max_s, seconds)


@dataclass
class Meter:
    """Times the coordinator's thread inside its bookkeeping calls, by patching them for one run."""

    profile: cProfile.Profile | None = None
    sections: dict[str, Stat] = field(default_factory=dict)
    messages: dict[str, Stat] = field(default_factory=dict)  # _handle, by message type
    parts: dict[str, Stat] = field(default_factory=dict)
    calls: dict[str, Stat] = field(default_factory=dict)  # the parts' functions, by qualified name
    collections: dict[int, Stat] = field(default_factory=dict)  # the garbage collector's pauses inside, by generation
    load_s: float = 0.0
    thread: int | None = None
    _inside: bool = False
    _part: str | None = None
    _gc_began: float = 0.0

    @property
    def total_s(self) -> float:
        return sum(s.total_s for s in self.sections.values())

    def _section(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self._inside or threading.get_ident() != self.thread:
                return fn(*args, **kwargs)
            self._inside = True
            if self.profile is not None:
                self.profile.enable()
            began = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                took = time.perf_counter() - began
                if self.profile is not None:
                    self.profile.disable()
                self._inside = False
                self.sections.setdefault(name, Stat()).add(took)
                if name == "handle":
                    message = args[1] if len(args) > 1 else kwargs["message"]
                    self.messages.setdefault(str(message.body.get("type")), Stat()).add(took)
        return timed

    def _part_of(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        where = f"{name}: {fn.__module__}.{fn.__qualname__}"

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if not self._inside or self._part is not None or threading.get_ident() != self.thread:
                return fn(*args, **kwargs)
            self._part = name
            began = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self._part = None
                took = time.perf_counter() - began
                self.parts.setdefault(name, Stat()).add(took)
                self.calls.setdefault(where, Stat()).add(took)
        return timed

    def _collected(self, phase: str, info: dict[str, Any]) -> None:
        if not self._inside or threading.get_ident() != self.thread:
            return
        if phase == "start":
            self._gc_began = time.perf_counter()
        else:
            self.collections.setdefault(info["generation"], Stat()).add(time.perf_counter() - self._gc_began)

    @contextmanager
    def installed(self) -> Iterator[Meter]:
        saved: list[tuple[Any, str, Any]] = []

        def patch(owner: Any, name: str, wrapper: Callable[..., Any]) -> None:
            original = vars(owner)[name] if name in vars(owner) else getattr(owner, name)
            saved.append((owner, name, original))
            setattr(owner, name, wrapper)

        def run(coordinator_self: coordinator.Coordinator) -> None:
            self.thread = threading.get_ident()
            return original_run(coordinator_self)

        def from_archive(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return original_load(*args, **kwargs)
            finally:
                self.load_s += time.perf_counter() - began

        original_run, original_load = coordinator.Coordinator.run, loop.from_archive
        patch(coordinator.Coordinator, "run", run)
        patch(loop, "from_archive", from_archive)
        for name, (owner, attr) in SECTIONS.items():
            patch(owner, attr, self._section(name, getattr(owner, attr)))
        for name, targets in PARTS.items():
            for owner, attr in targets:
                patch(owner, attr, self._part_of(name, getattr(owner, attr)))
        gc.callbacks.append(self._collected)
        try:
            yield self
        finally:
            gc.callbacks.remove(self._collected)
            for owner, name, original in reversed(saved):
                setattr(owner, name, original)


# -- the run directories ---------------------------------------------------------------------------

def run_config(run_dir: Path, base_url: str, task_ids: list[str], attempts: int, workers: int) -> RunConfig:
    return RunConfig(
        name=run_dir.name, run_dir=run_dir,
        model=ModelConfig(base_url=base_url, agent_model=AGENT_MODEL, diagnosis_model=DIAGNOSIS_MODEL,
                          api_key_env="DGM_PERF_NO_KEY", prices=DEMO_PRICES),
        loop=LoopConfig(generations=attempts, parents_per_generation=1, workers=workers),
        evaluation=EvaluationConfig(tasks=task_ids, stage_sizes=[len(task_ids)], check_suite=False,
                                    grade_cache=False, cheat_canaries=False),
    )


def prepare(run_dir: Path, n_agents: int, task_ids: list[str]) -> dict[str, Any]:
    """make_big_run's archive on the real tasks, made resumable: agents.git with the seed, every agent
    on the seed's commit (pinned), no attempt left running. Returns make_big_run's figures."""
    made = make_big_run(run_dir, n_agents=n_agents, seed=0, task_ids=task_ids)
    repo = AgentRepo(run_dir / "agents.git")
    commit = repo.add_seed()
    archive = Archive.in_dir(run_dir)
    try:
        run_id = archive.latest_run().id
        with archive.engine.begin() as conn:
            conn.execute(update(Agent).where(Agent.run_id == run_id).values(commit=commit))
            conn.execute(update(Agent).where(Agent.run_id == run_id, Agent.status == "running")
                         .values(status="failed", reason="left running by make_big_run; closed for the benchmark",
                                 finished_at=utcnow()))
        ids = [a.id for a in archive.agents(run_id)]
    finally:
        archive.close()
    git("update-ref", "--stdin", cwd=repo.path, input="".join(f"update refs/agents/{i} {commit}\n" for i in ids).encode())
    return made


def attempts_made(run_dir: Path) -> int:
    archive = Archive.in_dir(run_dir)
    try:
        return archive.count_attempts(archive.latest_run().id)
    finally:
        archive.close()


def store_config(run_dir: Path, config: RunConfig) -> None:
    """Record the config the run resumes with as the run's own (what `dgm run --resume` would read)."""
    archive = Archive.in_dir(run_dir)
    try:
        with archive.engine.begin() as conn:
            conn.execute(update(Run).where(Run.id == archive.latest_run().id).values(config_json=config.model_dump_json()))
    finally:
        archive.close()


@contextmanager
def model_server(script: dict[str, Any], path: Path, in_process: bool) -> Iterator[str]:
    """The scripted model's base URL: served by its own process (`python -m dgm.models.scripted`), as a
    real endpoint is, or from a thread of this one, as `dgm run --demo` serves it."""
    if in_process:
        with ScriptedModelServer(script) as server:
            yield server.base_url
        return
    path.write_text(json.dumps(script))
    proc = subprocess.Popen([sys.executable, "-m", "dgm.models.scripted", str(path), "--port", "0"], cwd=REPO,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http"):
            raise SystemExit(f"the scripted model server did not start (exit code {proc.wait()})")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# -- one resume, measured --------------------------------------------------------------------------

@dataclass
class Measurement:
    label: str
    agents: int
    meter: Meter
    wall_s: float
    jobs: dict[str, list[float]]  # kind -> the jobs' duration_s

    @property
    def n_jobs(self) -> int:
        return sum(len(d) for d in self.jobs.values())

    @property
    def job_s(self) -> float:
        return sum(sum(d) for d in self.jobs.values())

    @property
    def per_job_ms(self) -> float:
        return 1000 * self.meter.total_s / self.n_jobs if self.n_jobs else float("nan")

    @property
    def share(self) -> float:
        return self.meter.total_s / self.job_s if self.job_s else float("nan")

    @property
    def gateway_wait_ms(self) -> float:
        """Per job: the part spent closing gateways (see the module docstring)."""
        wait = self.meter.calls.get(GATEWAY_EXIT)
        return 1000 * wait.total_s / self.n_jobs if wait and self.n_jobs else 0.0


def resume(label: str, run_dir: Path, agents: int, task_ids: list[str], args: argparse.Namespace) -> Measurement:
    tasks = load_benchmark(EvaluationConfig(tasks=task_ids)).tasks
    meter = Meter(profile=cProfile.Profile() if args.profile else None)
    with model_server(demo_script(tasks), run_dir.parent / f"{run_dir.name}-model.json", args.in_process_model) as base_url, ExitStack() as stack:
        config = run_config(run_dir, base_url, task_ids, attempts_made(run_dir) + args.attempts, args.workers)
        store_config(run_dir, config)
        began = time.monotonic()

        def on_event(kind: str, record: dict[str, Any]) -> None:
            if kind == "job_finished":
                print(f"  {label}  {time.monotonic() - began:6.1f} s  {record['job']} ({record['kind']}) "
                      f"{record['outcome']} in {record['duration_s']:.1f} s", flush=True)

        stack.enter_context(meter.installed())
        loop.run_dgm(config, on_event=on_event, resume=True)
        wall = time.monotonic() - began
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines() if line.strip()]
    jobs: dict[str, list[float]] = {}
    for e in events:
        if e["event"] == "job_finished":
            jobs.setdefault(e["kind"], []).append(float(e["duration_s"]))
    if not jobs:
        raise SystemExit(f"{run_dir}: no job_finished event; did the run do anything?")
    return Measurement(label, agents, meter, wall, jobs)


# -- the report ------------------------------------------------------------------------------------

def _ms(seconds: float) -> str:
    return f"{1000 * seconds:.1f}"


def report(runs: list[Measurement], profile_lines: int) -> None:
    print(f"\n{'run':>6}{'agents':>8}{'jobs':>6}{'exp/eval':>10}{'job s':>8}{'wall s':>8}{'load s':>8}"
          f"{'bk s':>8}{'ms/job':>8}{'share':>8}{'max call ms':>13}")
    for m in runs:
        longest = max(s.max_s for s in m.meter.sections.values())
        mix = f"{len(m.jobs.get('expand', []))}/{len(m.jobs.get('evaluate', []))}"
        print(f"{m.label:>6}{m.agents:>8}{m.n_jobs:>6}{mix:>10}{statistics.mean(d for ds in m.jobs.values() for d in ds):>8.1f}"
              f"{m.wall_s:>8.1f}{m.meter.load_s:>8.2f}{m.meter.total_s:>8.3f}{m.per_job_ms:>8.1f}{m.share:>8.2%}"
              f"{_ms(longest):>13}")
    for m in runs:
        print(f"\n{m.label} ({m.agents} agents): bookkeeping by call (n, total ms, ms per job, longest ms)")
        for name, s in sorted(m.meter.sections.items(), key=lambda kv: -kv[1].total_s):
            print(f"  {name:<14}{s.n:>6}{_ms(s.total_s):>10}{1000 * s.total_s / m.n_jobs:>9.1f}{_ms(s.max_s):>9}")
        for kind, s in sorted(m.meter.messages.items(), key=lambda kv: -kv[1].total_s):
            print(f"    handle {kind:<9}{s.n:>4}{_ms(s.total_s):>10}{1000 * s.total_s / m.n_jobs:>9.1f}{_ms(s.max_s):>9}")
        parts = dict(m.meter.parts)
        parts["other"] = Stat(0, m.meter.total_s - sum(s.total_s for s in parts.values()), 0.0)
        print("  by part: " + ", ".join(f"{name} {1000 * s.total_s / m.n_jobs:.1f} ms/job"
                                        for name, s in sorted(parts.items(), key=lambda kv: -kv[1].total_s)))
        print("  of it, garbage collection: " + (", ".join(
            f"generation {g}: {s.n} pauses, {_ms(s.total_s)} ms, longest {_ms(s.max_s)} ms"
            for g, s in sorted(m.meter.collections.items())) or "none"))
        print("  costliest functions (n, total ms, ms per job, longest ms):")
        for name, s in sorted(m.meter.calls.items(), key=lambda kv: -kv[1].total_s)[:10]:
            print(f"    {name:<58}{s.n:>5}{_ms(s.total_s):>9}{1000 * s.total_s / m.n_jobs:>8.1f}{_ms(s.max_s):>8}")
        if profile_lines and m.meter.profile is not None:
            out = io.StringIO()
            pstats.Stats(m.meter.profile, stream=out).sort_stats("cumulative").print_stats(profile_lines)
            print(f"\n{m.label}: cProfile of the coordinator's bookkeeping (cumulative; profiling inflates every figure)")
            print(out.getvalue().strip())
    print(f"\ntargets: <= {TARGET_MS:.0f} ms of bookkeeping per job with a 5,000-agent archive, < {TARGET_SHARE:.0%} of a job's wall time")
    for m in runs:
        ok = m.per_job_ms <= TARGET_MS and m.share < TARGET_SHARE
        print(f"{m.label} ({m.agents} agents): {m.per_job_ms:.1f} ms per job, {m.share:.2%} of job wall time "
              f"({m.n_jobs} jobs, mean job {m.job_s / m.n_jobs:.1f} s)  {'meets' if ok else 'MISSES'} the targets")
        rest = m.per_job_ms - m.gateway_wait_ms
        print(f"    of which {m.gateway_wait_ms:.1f} ms per job closing gateways; without it {rest:.1f} ms per job, "
              f"{rest / 1000 / (m.job_s / m.n_jobs):.2%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=5000, help="agents in the big archive")
    parser.add_argument("--small", type=int, default=1, help="agents in the baseline archive (1: the seed alone)")
    parser.add_argument("--attempts", type=int, default=8, help="new attempts each resumed run makes")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tasks", type=int, default=3, help=f"the first N of a fixed mix of {len(TASKS)} built-in tasks")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print cProfile's N costliest functions per run")
    parser.add_argument("--in-process-model", action="store_true",
                        help="serve the scripted model from a thread of this process, as `dgm run --demo` does")
    parser.add_argument("--keep", type=Path, help="make the run directories here and keep them (default: a temporary folder)")
    args = parser.parse_args()
    if not 1 <= args.tasks <= len(TASKS):
        parser.error(f"--tasks must be 1 to {len(TASKS)}")
    if args.keep and args.keep.exists() and any(args.keep.iterdir()):
        parser.error(f"{args.keep} is not empty")
    task_ids = TASKS[: args.tasks]

    with ExitStack() as stack:
        root = args.keep or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dgm-bookkeeping-")))
        runs = []
        for label, n in (("small", args.small), ("big", args.agents)):
            began = time.monotonic()
            made = prepare(root / label, n, task_ids)
            print(f"{label}: {made['agents']} agents, {made['evaluations']} evaluations on {', '.join(task_ids)} "
                  f"(made resumable in {time.monotonic() - began:.1f} s); resuming for {args.attempts} attempts, "
                  f"{args.workers} workers", flush=True)
            runs.append(resume(label, root / label, made["agents"], task_ids, args))
        report(runs, args.profile)


if __name__ == "__main__":
    main()
