"""The outer loop of the Darwin Gödel Machine, as in the paper:

    archive <- {seed}, evaluated
    while attempts remain:
        parent  <- select from the archive (score_child_prop by default)
        child   <- the parent diagnoses one of its failures and edits a copy of its own code
        child   <- evaluated in stages, if it still imports and passes its own tests
        archive <- the child, filed (keep_all), or only when at least as good as its parent

Nothing waits for a generation: the coordinator (dgm/coordinator.py) keeps `loop.workers` jobs in
flight (an *expand* job makes a child, an *evaluate* job runs one agent on one task, each in its own
process), and whenever one ends the search policy (dgm/policy.py, the paper's by default) says what
comes next. An agent's generation is its lineage depth; generations × parents bounds the attempts.
"""

from __future__ import annotations

import gc
from contextlib import ExitStack

from archive_db import Agent, Archive
from archive_db.location import DATABASE_FILE, locate, public_url, record
from benchmarks.cache import GradeCache
from benchmarks.prepare import prepare_images, vet
from benchmarks.registry import load_benchmark
from benchmarks.task import load_canaries
from dgm import __version__
from dgm.agents_repo import AgentRepo
from dgm.budget import Budget
from dgm.config import RunConfig
from dgm.context_window import context_window
from dgm.coordinator import Coordinator
from dgm.errors import DgmError, NotFoundError
from dgm.events import BenchmarkSetup, BudgetExhaustedEvent, ContextWindowEvent, RunFinished, RunResumed, RunStoppedEvent
from dgm.executor import Executor, LocalExecutor
from dgm.jobs import JobContext
from dgm.manifest import build_manifest, write_manifest
from dgm.model_client import ModelClient
from dgm.policies import make_policy
from dgm.ray_executor import RayExecutor, import_ray
from dgm.ray_executor import connect as ray_connect
from dgm.ray_executor import disconnect as ray_disconnect
from dgm.recovery import RunLock, repair
from dgm.run_state import from_archive
from dgm.runtime import EventSink, Runtime, StopRequest
from dgm.watchdog import Watchdog, previous_active_s, wall_time_reason
from sandbox.container import DockerSandbox, cleanup_leftovers
from sandbox.engine import docker_client
from sandbox.prune import prune_outdated_images


class RunStopped(DgmError):
    """The run stopped before its work was done, for the reason given; it is resumable."""

    def __init__(self, reason: str, by_signal: bool = False) -> None:
        super().__init__(reason)
        self.by_signal = by_signal


def file_seed(rt: Runtime) -> Agent:
    """Commit the seed agent as the root of the lineage (its evaluation is the policy's first work)."""
    existing = rt.archive.agents(rt.run_id, statuses=["seed"])
    seed = existing[0] if existing else None
    if seed is None:
        commit = rt.repo.add_seed()
        seed = rt.archive.add_agent(run_id=rt.run_id, parent_id=None, generation=0, status="seed", commit=commit)
    rt.repo.pin(seed.id, seed.commit)  # again on resume: a kill may have come between the two
    return seed


def job_context(rt: Runtime) -> JobContext:
    """What every job needs to know of the run (and no key)."""
    return JobContext(config_json=rt.config.model_dump_json(), agents_git=str(rt.repo.path.resolve()),
                      work_dir=str((rt.run_dir / "work").resolve()), labels=dict(rt.sandbox.labels))


def local_executor(rt: Runtime) -> LocalExecutor:
    """Jobs as processes on this host."""
    return LocalExecutor(job_context(rt), rt.run_dir / "logs" / "jobs", secret_env=(rt.config.model.api_key_env,))


def ray_executor(rt: Runtime, stack: ExitStack) -> RayExecutor:
    """Jobs as Ray tasks on the cluster at ``loop.ray_address``: joined for this run, left at its end."""
    if ray_connect(rt.config.loop.ray_address):
        stack.callback(ray_disconnect)
    images = {t.image for t in [*rt.tasks, *rt.canaries] if t.image}
    executor = RayExecutor(job_context(rt), rt.run_dir / "logs" / "jobs", secret_env=(rt.config.model.api_key_env,),
                           images=images)
    stack.callback(executor.close)
    return executor


def evolve(rt: Runtime, executor: Executor | None = None) -> None:
    """The outer loop. Ends normally when the policy has nothing left to do; raises RunStopped when a
    signal, a budget or an outage stopped it first (the run is then resumable as it stands)."""
    if _stop_for_budget(rt):
        raise RunStopped(rt.stop.reason or "stopped", rt.stop.by_signal)
    file_seed(rt)
    (rt.run_dir / "work").mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        if executor is None:
            executor = ray_executor(rt, stack) if rt.config.loop.executor == "ray" else local_executor(rt)
        _evolve(rt, executor)


def _evolve(rt: Runtime, executor: Executor) -> None:
    rt.kill_jobs = executor.kill_all
    state = from_archive(rt.archive, rt.run_id, {t.id for t in rt.canaries})
    # What is loaded now lives as long as the run: full collections need not walk it again (a 5,000-agent
    # run's took 250 ms, inside whatever decision it interrupted).
    gc.freeze()
    policy = make_policy(rt.config, rt.tasks, rt.first_stage, rt.canaries, rt.rng)
    Coordinator(rt, policy, executor, state).run()
    children = rt.config.budget.max_children
    if children is not None and state.attempts >= children and not rt.stop.requested and \
            children < rt.config.loop.generations * rt.config.loop.parents_per_generation:
        rt.stop.request(f"children budget {children} reached")
    _stop_for_budget(rt)  # the cap cut off the last attempts: say so rather than "finished"
    if rt.stop.requested:
        raise RunStopped(rt.stop.reason or "stopped", rt.stop.by_signal)


def budget_stop_reason(rt: Runtime) -> str | None:
    if rt.budget.exhausted:
        return rt.budget.summary()
    return wall_time_reason(rt)


def _stop_for_budget(rt: Runtime) -> bool:
    """Ask the run to stop when a budget is used up; True when the run is stopping for any reason."""
    reason = budget_stop_reason(rt)
    if reason and rt.stop.request(reason):
        rt.emit(BudgetExhaustedEvent(run=rt.run_id, reason=reason, spent=rt.budget.spent, cap=rt.budget.cap))
    return rt.stop.requested


# -- wiring ---------------------------------------------------------------------------------------


def _open_run(archive: Archive, config: RunConfig, resume: bool) -> int:
    """The run's id: a new run, or (with ``resume``) the one the run directory holds. A server database
    may hold many runs: the run directory names its own in database.json."""
    where = locate(config.run_dir, config.db_url)
    existing = archive.latest_run() if where.is_sqlite else None
    if where.run_id is not None:
        try:
            existing = archive.get_run(where.run_id)
        except NotFoundError:
            raise DgmError(f"{config.run_dir}/{DATABASE_FILE} names run {where.run_id}, which "
                           f"{public_url(where.url)} does not hold") from None
    if existing is None:
        run_id = archive.create_run(config.name, config.model_dump_json(), __version__).id
        if not where.is_sqlite:
            record(config.run_dir, config.db_url or where.url, run_id)  # as the user wrote it, less the password
        return run_id
    if not resume:
        raise DgmError(f"{config.run_dir} already holds run '{existing.name}'; pass --resume to continue it or pick a new --run-dir")
    # Attempts cut off by a crash or a stop stay "running": the loop carries each on from its last step.
    archive.set_run_status(existing.id, "running")
    return existing.id


def build_runtime(config: RunConfig, stack: ExitStack, on_event: EventSink, resume: bool = False,
                  stop: StopRequest | None = None) -> Runtime:
    # Cheap checks first, so bad input fails in a second with one line.
    if config.loop.executor == "ray":
        import_ray()
    benchmark = load_benchmark(config.evaluation)
    if config.evaluation.benchmark == "swebench" and config.evaluation.swebench_grader == "official":
        from benchmarks.swebench import require_official_grader

        require_official_grader()
    ModelClient(config.model, config.api_key(), None).check_reachable()
    window = context_window(config.model, config.api_key())  # once per session: the server may have changed
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
        budget=budget,
        canaries=load_canaries() if config.evaluation.cheat_canaries else [],
        on_event=on_event, stop=stop or StopRequest(), active_before=previous_active_s(config.run_dir), context=window,
    )
    models.on_event = lambda kind, data: rt.emit_named(kind, **data)
    models.on_call = lambda ctx: rt.touch(ctx.agent_id)
    if resume:
        open_attempts = [a.id for a in archive.agents(run_id, statuses=["running"])]
        rt.emit(RunResumed(run=run_id, repaired=repaired, containers_removed=removed, open_attempts=open_attempts,
                           attempts_done=archive.count_attempts(run_id) - len(open_attempts),
                           flagged=len(archive.flagged(run_id))))
    rt.emit(ContextWindowEvent(model=config.model.diagnosis_model, tokens=window.tokens, source=window.source,
                               message=window.describe()))
    # Older versions of our own images (label dgm.managed only) go; nothing else on the host is touched.
    prune_outdated_images(client, keep={config.sandbox.image, *(t.image for t in benchmark.tasks if t.image)},
                          log=lambda msg: rt.emit(BenchmarkSetup(message=msg)))
    prepare_images(sandbox, benchmark, log=lambda msg: rt.emit(BenchmarkSetup(message=msg)))
    if config.evaluation.check_suite:
        rt.tasks, _ = vet(sandbox, benchmark, config.loop.workers, GradeCache(), rt.emit_named)
    images = {tag: sandbox.image_id(tag) for tag in sorted({config.sandbox.image, *(t.image for t in rt.tasks if t.image)})}
    write_manifest(config.run_dir, build_manifest(config, benchmark, rt.tasks, images, rt.canaries, window))
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
            rt.emit(RunStoppedEvent(run=rt.run_id, reason=str(exc), spent=rt.budget.spent))
            if exc.by_signal:
                raise
            return rt.run_id
        except KeyboardInterrupt:
            # A second signal: stop at once. Jobs in flight are killed; their attempts resume with the run.
            rt.shut_down(at_once=True)
            _mark_open_attempts(rt)
            reason = f"{rt.stop.reason}, then stopped at once by a second signal" if rt.stop.reason else "interrupted"
            rt.archive.set_run_status(rt.run_id, "stopped", reason)
            rt.emit(RunStoppedEvent(run=rt.run_id, reason=reason, spent=rt.budget.spent))
            raise
        except BaseException as exc:
            rt.archive.set_run_status(rt.run_id, "failed", f"{type(exc).__name__}: {exc}"[:500])
            raise
        finally:
            rt.shut_down()
            watchdog.stop()
        rt.archive.set_run_status(rt.run_id, "finished")
        rt.emit(RunFinished(run=rt.run_id))
        return rt.run_id


def _mark_open_attempts(rt: Runtime) -> None:
    for agent in rt.archive.agents(rt.run_id, statuses=["running"]):
        if not agent.reason:
            rt.archive.update_agent(agent.id, reason="not started before the run stopped; runs on resume")
