"""The outer loop of the Darwin Gödel Machine, as in the paper:

    archive <- {seed}, evaluated
    for each generation:
        parents  <- select from the archive (score_child_prop by default)
        children <- for each parent, in parallel: diagnose, self-modify, gate, evaluate
        archive  <- file every child (keep_all) or the ones at least as good as their parent
"""

from __future__ import annotations

import random
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

from archive_db import Agent, Archive
from benchmarks.cache import GradeCache
from benchmarks.prepare import prepare_images, vet
from benchmarks.registry import load_benchmark
from dgm import __version__
from dgm.agents_repo import AgentRepo
from dgm.budget import Budget, BudgetExhausted
from dgm.config import RunConfig
from dgm.errors import DgmError
from dgm.evaluate import evaluate_agent
from dgm.gateway import ModelClient
from dgm.manifest import build_manifest, write_manifest
from dgm.runtime import EventSink, Runtime
from dgm.selection import Candidate, select_parents
from dgm.self_modify import self_improve
from sandbox.container import DockerSandbox, cleanup_leftovers
from sandbox.engine import docker_client

ARCHIVE_STATUSES = ("seed", "valid")


def file_seed(rt: Runtime) -> Agent:
    """Commit the seed agent as the root of the lineage and evaluate it (generation 0)."""
    existing = rt.archive.agents(rt.run_id, statuses=["seed"])
    seed = existing[0] if existing else None
    if seed is None:
        commit = rt.repo.add_seed()
        seed = rt.archive.add_agent(run_id=rt.run_id, parent_id=None, generation=0, status="seed", commit=commit)
        rt.repo.pin(seed.id, commit)
    if seed.score is None:
        rt.emit("seed_evaluation_started", agent=seed.id)
        with rt.workdir("seed") as work:
            summary = evaluate_agent(rt, seed.id, rt.repo.export(seed.commit, work / "seed"))
        cost = rt.archive.cost(agent_id=seed.id)
        rt.archive.update_agent(seed.id, score=summary.score, n_tasks=summary.n_tasks, n_resolved=summary.n_resolved, cost_usd=cost)
        rt.emit("seed_evaluated", agent=seed.id, score=summary.score, cost=cost)
    return rt.archive.get_agent(seed.id)


def candidates(rt: Runtime) -> list[Candidate]:
    children = rt.archive.children_counts(rt.run_id)
    return [
        Candidate(agent_id=a.id, score=a.score or 0.0, n_children=children.get(a.id, 0), created_order=a.id)
        for a in rt.archive.agents(rt.run_id, statuses=ARCHIVE_STATUSES)
        if a.score is not None
    ]


def run_generation(rt: Runtime, generation: int, pool: ThreadPoolExecutor) -> list[Agent]:
    parent_ids = select_parents(candidates(rt), rt.config.loop.parents_per_generation, rt.config.loop.selection, rt.rng)
    rt.emit("generation_started", generation=generation, parents=parent_ids)
    futures = [pool.submit(self_improve, rt, pid, generation) for pid in parent_ids]
    children = [_result_interruptibly(f) for f in futures]
    rt.emit("generation_finished", generation=generation,
            filed=sum(c.status == "valid" for c in children), best=max((c.score or 0.0 for c in candidates(rt)), default=0.0))
    return children


def _result_interruptibly(future: Future[Agent]) -> Agent:
    # A plain future.result() blocks the main thread in a lock that a signal delivered to a worker
    # thread does not wake; waking every second lets Ctrl-C/SIGTERM take effect promptly.
    while True:
        try:
            return future.result(timeout=1.0)
        except TimeoutError:
            continue


def evolve(rt: Runtime) -> None:
    file_seed(rt)
    done = max((a.generation for a in rt.archive.agents(rt.run_id)), default=0)
    pool = ThreadPoolExecutor(max_workers=rt.config.loop.workers, thread_name_prefix="dgm-worker")
    try:
        for generation in range(done + 1, rt.config.loop.generations + 1):
            run_generation(rt, generation, pool)
            if rt.budget.exhausted:
                raise BudgetExhausted(rt.budget.summary())
    finally:
        # On Ctrl-C do not wait for in-flight attempts here: the caller removes their containers,
        # which ends them; their rows stay "running" and a resume records them as interrupted.
        pool.shutdown(wait=False, cancel_futures=True)


# -- wiring ---------------------------------------------------------------------------------------


def _open_run(archive: Archive, config: RunConfig, resume: bool) -> int:
    existing = archive.latest_run()
    if existing is None:
        return archive.create_run(config.name, config.model_dump_json(), __version__).id
    if not resume:
        raise DgmError(f"{config.run_dir} already holds run '{existing.name}'; pass --resume to continue it or pick a new --run-dir")
    for agent in archive.agents(existing.id, statuses=["running"]):
        # An attempt cut off by a crash: recorded, never silently dropped.
        archive.update_agent(agent.id, status="failed", reason="interrupted (the run process stopped)")
    archive.set_run_status(existing.id, "running")
    return existing.id


def build_runtime(config: RunConfig, stack: ExitStack, on_event: EventSink, resume: bool = False) -> Runtime:
    # Cheap checks first, so bad input fails in a second with one line.
    benchmark = load_benchmark(config.evaluation)
    if config.evaluation.benchmark == "swebench" and config.evaluation.swebench_grader == "official":
        from benchmarks.swebench import require_official_grader

        require_official_grader()
    ModelClient(config.model, config.api_key(), None).check_reachable()
    client = docker_client()
    cleanup_leftovers(client)
    config.run_dir.mkdir(parents=True, exist_ok=True)
    archive = Archive(config.database_url)
    stack.callback(archive.close)
    run_id = _open_run(archive, config, resume)
    sandbox = DockerSandbox(client, config.sandbox, labels={"dgm.run": str(run_id), "dgm.run_dir": str(config.run_dir.resolve())})
    stack.callback(sandbox.close)
    # On resume the cap counts what the run has already spent.
    budget = Budget(cap=config.budget.max_cost_usd, spent=archive.cost(run_id=run_id))
    models = ModelClient(config.model, config.api_key(), archive, budget, config.budget.assumed_max_output_tokens)
    rt = Runtime(
        config=config, archive=archive, run_id=run_id, repo=AgentRepo(config.run_dir / "agents.git"),
        sandbox=sandbox, models=models, tasks=benchmark.tasks, first_stage=benchmark.first_stage,
        grade_cache=GradeCache() if config.evaluation.grade_cache else None, budget=budget,
        on_event=on_event, rng=random.Random(config.loop.seed),
    )
    prepare_images(sandbox, benchmark, log=lambda msg: rt.emit("benchmark_setup", message=msg))
    if config.evaluation.check_suite:
        rt.tasks, _ = vet(sandbox, benchmark, config.loop.workers, rt.grade_cache or GradeCache(), rt.emit)
    images = {tag: sandbox.image_id(tag) for tag in sorted({config.sandbox.image, *(t.image for t in rt.tasks if t.image)})}
    write_manifest(config.run_dir, build_manifest(config, benchmark, rt.tasks, images))
    return rt


def run_dgm(config: RunConfig, on_event: EventSink = lambda kind, data: None, resume: bool = False) -> int:
    """Run (or resume) a whole DGM run; returns the run id. The library entry point behind `dgm run`."""
    with ExitStack() as stack:
        if config.demo:
            from dgm.demo import demo_config

            config = demo_config(config, stack)
        rt = build_runtime(config, stack, on_event, resume)
        try:
            evolve(rt)
        except BudgetExhausted as exc:
            # A reason to stop, not a failure: the run is consistent and resumable with a higher cap.
            rt.archive.set_run_status(rt.run_id, "stopped", str(exc))
            rt.emit("budget_exhausted", run=rt.run_id, reason=str(exc), spent=rt.budget.spent, cap=rt.budget.cap)
            return rt.run_id
        except BaseException as exc:
            status = "stopped" if isinstance(exc, KeyboardInterrupt) else "failed"
            rt.archive.set_run_status(rt.run_id, status, f"{type(exc).__name__}: {exc}"[:500])
            raise
        rt.archive.set_run_status(rt.run_id, "finished")
        rt.emit("run_finished", run=rt.run_id)
        return rt.run_id


def run_dir_archive(run_dir: Path) -> Archive:
    path = Path(run_dir) / "archive.sqlite"
    if not path.exists():
        raise DgmError(f"{run_dir} holds no dgm run (no archive.sqlite)")
    return Archive.in_dir(Path(run_dir))
