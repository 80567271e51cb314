"""The outer loop of the Darwin Gödel Machine, as in the paper:

    archive <- {seed}, evaluated
    for each generation:
        parents  <- select from the archive (score_child_prop by default)
        children <- for each parent, in parallel: diagnose, self-modify, gate, evaluate
        archive  <- file every child (keep_all) or the ones at least as good as their parent
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import ExitStack
from pathlib import Path

from archive_db import Agent, Archive
from benchmarks.cache import GradeCache
from benchmarks.prepare import prepare_images, vet
from benchmarks.registry import load_benchmark
from benchmarks.task import load_canaries
from dgm import __version__, canaries
from dgm.agents_repo import AgentRepo
from dgm.budget import Budget, BudgetExhausted
from dgm.config import RunConfig
from dgm.errors import DgmError
from dgm.evaluate import evaluate_agent
from dgm.model_client import ModelClient
from dgm.manifest import build_manifest, write_manifest
from dgm.recovery import RunLock, repair
from dgm.runtime import EventSink, Interrupted, Runtime, StopRequest
from dgm.selection import AllFlagged, Candidate, select_parents
from dgm.self_modify import self_improve
from sandbox.container import DockerSandbox, cleanup_leftovers
from dgm.watchdog import Watchdog, previous_active_s, wall_time_reason
from sandbox.engine import docker_client
from sandbox.prune import prune_outdated_images

ARCHIVE_STATUSES = ("seed", "valid")
# After a forced stop (containers removed, model channel closed) attempts end within seconds; one
# stuck in a model call that cannot be interrupted is left behind after this long.
ABANDON_AFTER_FORCED_STOP_S = 20.0


class RunStopped(DgmError):
    """The run stopped before its generations were done, for the reason given; it is resumable."""

    def __init__(self, reason: str, by_signal: bool = False) -> None:
        super().__init__(reason)
        self.by_signal = by_signal


def file_seed(rt: Runtime) -> Agent:
    """Commit the seed agent as the root of the lineage and evaluate it (generation 0)."""
    existing = rt.archive.agents(rt.run_id, statuses=["seed"])
    seed = existing[0] if existing else None
    if seed is None:
        commit = rt.repo.add_seed()
        seed = rt.archive.add_agent(run_id=rt.run_id, parent_id=None, generation=0, status="seed", commit=commit)
    rt.repo.pin(seed.id, seed.commit)  # again on resume: a kill may have come between the two
    rt.started(seed.id, watched=False)
    try:
        with rt.workdir("seed") as work:
            code = rt.repo.export(seed.commit, work / "seed")
            if seed.score is None:
                seed = _evaluate_seed(rt, seed, code)
            canaries.check(rt, seed, seed.score or 0.0, code)  # a no-op once recorded (see dgm/canaries.py)
    except Interrupted:
        raise RunStopped(rt.stop.reason or "interrupted", rt.stop.by_signal) from None
    except BudgetExhausted as exc:
        rt.emit("budget_exhausted", run=rt.run_id, reason=str(exc), spent=rt.budget.spent, cap=rt.budget.cap)
        raise RunStopped(rt.budget.summary()) from None
    finally:
        rt.ended(seed.id)
    rt.archive.update_agent(seed.id, cost_usd=rt.archive.cost(agent_id=seed.id))  # its canary check included
    return rt.archive.get_agent(seed.id)


def _evaluate_seed(rt: Runtime, seed: Agent, code: Path) -> Agent:
    rt.emit("seed_evaluation_started", agent=seed.id)
    summary = evaluate_agent(rt, seed.id, code)
    cost = rt.archive.cost(agent_id=seed.id)
    rt.archive.update_agent(seed.id, score=summary.score, n_tasks=summary.n_tasks, n_resolved=summary.n_resolved, cost_usd=cost)
    rt.emit("seed_evaluated", agent=seed.id, score=summary.score, cost=cost)
    return rt.archive.get_agent(seed.id)


def candidates(rt: Runtime) -> list[Candidate]:
    children = rt.archive.children_counts(rt.run_id)
    return [
        Candidate(agent_id=a.id, score=a.score or 0.0, n_children=children.get(a.id, 0), created_order=a.id,
                  flagged=a.flag is not None)
        for a in rt.archive.agents(rt.run_id, statuses=ARCHIVE_STATUSES)
        if a.score is not None
    ]


def plan_generation(rt: Runtime, generation: int) -> list[Agent]:
    """The generation's attempts: chosen once and filed in one transaction, so a crash can neither
    lose a slot nor make one twice. A resumed run finds them already planned."""
    planned = rt.archive.agents(rt.run_id, generation=generation)
    if planned:
        return planned
    n = rt.config.loop.parents_per_generation
    if rt.config.budget.max_children is not None:
        n = min(n, rt.config.budget.max_children - rt.archive.count_attempts(rt.run_id))
    if n <= 0:
        return []
    try:
        parent_ids = select_parents(candidates(rt), n, rt.config.loop.selection, rt.rng("generation", generation),
                                    quarantine=rt.config.loop.quarantine_flagged)
    except AllFlagged as exc:  # nothing may be a parent: stop (resumable) and say why, plan nothing
        if rt.stop.request(str(exc)):
            rt.emit("all_candidates_flagged", run=rt.run_id, generation=generation, flagged=exc.flagged, reason=str(exc))
        return []
    children = rt.archive.add_agents([
        {"run_id": rt.run_id, "parent_id": pid, "generation": generation, "status": "running"} for pid in parent_ids])
    rt.emit("generation_started", generation=generation, parents=parent_ids, children=[c.id for c in children])
    return children


def run_generation(rt: Runtime, generation: int, pool: ThreadPoolExecutor) -> list[Agent]:
    children = plan_generation(rt, generation)
    if not children:
        return children
    open_ids = [c.id for c in children if c.status == "running"]
    if open_ids and len(open_ids) < len(children):
        rt.emit("generation_resumed", generation=generation, open=open_ids)
    _wait_for(rt, {pool.submit(self_improve, rt, cid): cid for cid in open_ids})
    children = rt.archive.agents(rt.run_id, generation=generation)
    if all(c.status != "running" for c in children):
        rt.emit("generation_finished", generation=generation, filed=sum(c.status == "valid" for c in children),
                best=max((c.score for c in candidates(rt) if not c.flagged), default=0.0))
    return children


def _wait_for(rt: Runtime, futures: dict[Future[Agent], int]) -> None:
    """Wait for the attempts, in short slices: a plain future.result() would block the main thread
    in a lock that a signal delivered to a worker thread does not wake. After a forced stop, an
    attempt that does not end within a bound is left behind (it resumes with the run)."""
    pending = set(futures)
    while pending:
        _, pending = wait(pending, timeout=1.0)
        # The watchdog gave up on an attempt stuck outside any container: do not wait for it.
        pending = {f for f in pending if not (rt.is_stalled(futures[f]) and futures[f] not in rt.in_flight())}
        if rt.interrupted and rt.stop.since is not None:
            if time.monotonic() - rt.stop.since > rt.config.loop.stop_grace_s + ABANDON_AFTER_FORCED_STOP_S:
                return


def budget_stop_reason(rt: Runtime) -> str | None:
    if rt.budget.exhausted:
        return rt.budget.summary()
    cap = rt.config.budget.max_children
    if cap is not None and rt.archive.count_attempts(rt.run_id) >= cap:
        return f"children budget {cap} reached"
    return wall_time_reason(rt)


def _stop_for_budget(rt: Runtime) -> bool:
    """Ask the run to stop when a budget is used up; True when the run is stopping for any reason."""
    reason = budget_stop_reason(rt)
    if reason and rt.stop.request(reason):
        rt.emit("budget_exhausted", run=rt.run_id, reason=reason, spent=rt.budget.spent, cap=rt.budget.cap)
    return rt.stop.requested


def evolve(rt: Runtime) -> None:
    """The outer loop. Ends normally when its generations are done; raises RunStopped when a signal,
    a budget or an outage stopped it first (the run is then resumable as it stands)."""
    pool = ThreadPoolExecutor(max_workers=rt.config.loop.workers, thread_name_prefix="dgm-worker")
    try:
        if not _stop_for_budget(rt):
            file_seed(rt)
        for generation in range(1, rt.config.loop.generations + 1):
            if _stop_for_budget(rt) or rt.stop.requested:
                break
            run_generation(rt, generation, pool)
        if rt.budget.exhausted:  # the cap cut off the last generation: say so rather than "finished"
            _stop_for_budget(rt)
    finally:
        # Queued attempts that never started stay open in the archive; a resume runs them.
        pool.shutdown(wait=False, cancel_futures=True)
    if rt.stop.requested:
        raise RunStopped(rt.stop.reason or "stopped", rt.stop.by_signal)


# -- wiring ---------------------------------------------------------------------------------------


def _open_run(archive: Archive, config: RunConfig, resume: bool) -> int:
    existing = archive.latest_run()
    if existing is None:
        return archive.create_run(config.name, config.model_dump_json(), __version__).id
    if not resume:
        raise DgmError(f"{config.run_dir} already holds run '{existing.name}'; pass --resume to continue it or pick a new --run-dir")
    # Attempts cut off by a crash or a stop stay "running": the loop carries each on from its last step.
    archive.set_run_status(existing.id, "running")
    return existing.id


def build_runtime(config: RunConfig, stack: ExitStack, on_event: EventSink, resume: bool = False,
                  stop: StopRequest | None = None) -> Runtime:
    # Cheap checks first, so bad input fails in a second with one line.
    benchmark = load_benchmark(config.evaluation)
    if config.evaluation.benchmark == "swebench" and config.evaluation.swebench_grader == "official":
        from benchmarks.swebench import require_official_grader

        require_official_grader()
    ModelClient(config.model, config.api_key(), None).check_reachable()
    client = docker_client()
    lock = RunLock(config.run_dir).acquire()  # one process per run directory
    stack.callback(lock.release)
    repaired = repair(config.run_dir)
    removed = cleanup_leftovers(client)
    archive = Archive(config.database_url)
    stack.callback(archive.close)
    run_id = _open_run(archive, config, resume)
    sandbox = DockerSandbox(client, config.sandbox, labels={"dgm.run": str(run_id), "dgm.run_dir": str(config.run_dir.resolve())})
    stack.callback(sandbox.close)
    # On resume the caps count what the run has already spent.
    budget = Budget(cap=config.budget.max_cost_usd, spent=archive.cost(run_id=run_id),
                    token_cap=config.budget.max_tokens, tokens_spent=archive.tokens(run_id=run_id))
    models = ModelClient(config.model, config.api_key(), archive, budget, config.budget.assumed_max_output_tokens)
    stack.callback(models.close)
    rt = Runtime(
        config=config, archive=archive, run_id=run_id, repo=AgentRepo(config.run_dir / "agents.git"),
        sandbox=sandbox, models=models, tasks=benchmark.tasks, first_stage=benchmark.first_stage,
        grade_cache=GradeCache() if config.evaluation.grade_cache else None, budget=budget,
        canaries=load_canaries() if config.evaluation.cheat_canaries else [],
        on_event=on_event, stop=stop or StopRequest(), active_before=previous_active_s(config.run_dir),
    )
    models.on_event = lambda kind, data: rt.emit(kind, **data)
    models.on_call = lambda ctx: rt.touch(ctx.agent_id)
    if resume:
        open_attempts = [a.id for a in archive.agents(run_id, statuses=["running"])]
        rt.emit("run_resumed", run=run_id, repaired=repaired, containers_removed=removed, open_attempts=open_attempts,
                attempts_done=archive.count_attempts(run_id) - len(open_attempts), flagged=len(archive.flagged(run_id)))
    # Older versions of our own images (label dgm.managed only) go; nothing else on the host is touched.
    prune_outdated_images(client, keep={config.sandbox.image, *(t.image for t in benchmark.tasks if t.image)},
                          log=lambda msg: rt.emit("benchmark_setup", message=msg))
    prepare_images(sandbox, benchmark, log=lambda msg: rt.emit("benchmark_setup", message=msg))
    if config.evaluation.check_suite:
        rt.tasks, _ = vet(sandbox, benchmark, config.loop.workers, rt.grade_cache or GradeCache(), rt.emit)
    images = {tag: sandbox.image_id(tag) for tag in sorted({config.sandbox.image, *(t.image for t in rt.tasks if t.image)})}
    write_manifest(config.run_dir, build_manifest(config, benchmark, rt.tasks, images, rt.canaries))
    return rt


def run_dgm(config: RunConfig, on_event: EventSink = lambda kind, data: None, resume: bool = False,
            stop: StopRequest | None = None) -> int:
    """Run (or resume) a whole DGM run; returns the run id. The library entry point behind `dgm run`.

    Raises RunStopped when a signal, a budget or an outage stopped it early (its status and reason
    are recorded first; it is resumable); a budget stop is returned normally, as a reason to stop."""
    with ExitStack() as stack:
        if config.demo:
            from dgm.demo import demo_config

            config = demo_config(config, stack)
        rt = build_runtime(config, stack, on_event, resume, stop)
        watchdog = Watchdog(rt).start()
        try:
            evolve(rt)
        except RunStopped as exc:
            _mark_open_attempts(rt)
            rt.archive.set_run_status(rt.run_id, "stopped", str(exc))
            rt.emit("run_stopped", run=rt.run_id, reason=str(exc), spent=rt.budget.spent)
            if exc.by_signal:
                raise
            return rt.run_id
        except KeyboardInterrupt:
            # A second signal: stop at once. Attempts in flight stay open and resume with the run.
            rt.shut_down()
            _mark_open_attempts(rt)
            reason = f"{rt.stop.reason}, then stopped at once by a second signal" if rt.stop.reason else "interrupted"
            rt.archive.set_run_status(rt.run_id, "stopped", reason)
            rt.emit("run_stopped", run=rt.run_id, reason=reason, spent=rt.budget.spent)
            raise
        except BaseException as exc:
            rt.archive.set_run_status(rt.run_id, "failed", f"{type(exc).__name__}: {exc}"[:500])
            raise
        finally:
            rt.shut_down()
            watchdog.stop()
        rt.archive.set_run_status(rt.run_id, "finished")
        rt.emit("run_finished", run=rt.run_id)
        return rt.run_id


def _mark_open_attempts(rt: Runtime) -> None:
    for agent in rt.archive.agents(rt.run_id, statuses=["running"]):
        if not agent.reason:
            rt.archive.update_agent(agent.id, reason="not started before the run stopped; runs on resume")


def run_dir_archive(run_dir: Path) -> Archive:
    path = Path(run_dir) / "archive.sqlite"
    if not path.exists():
        raise DgmError(f"{run_dir} holds no dgm run (no archive.sqlite)")
    return Archive.in_dir(Path(run_dir))
