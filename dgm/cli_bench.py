"""`dgm bench list|check` and `dgm regrade`: know a benchmark before spending money on it, and
re-grade what a run recorded."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Optional

import typer
from rich.table import Table

from dgm.config import RunConfig, load_config
from dgm.errors import NotFoundError
from dgm.task_progress import TaskProgress
from dgm.terminal import console, errors

bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks: list their tasks; check them before a run; grade a patch.")

# Options shared by `dgm run` and `dgm bench ...`.
BenchmarkPath = typer.Option(None, "--benchmark-path",
                             help="A folder of tasks in dgm's format, or a polyglot-benchmark checkout.")
Dataset = typer.Option(None, "--dataset", help="SWE-bench: a JSON/JSONL file of instances, or a dataset name.")
Languages = typer.Option(None, "--languages", help="Polyglot: comma-separated languages (python,go,rust,javascript,java,cpp).")
ReposDir = typer.Option(None, "--repos-dir", help="SWE-bench: local git mirrors named owner__repo.")
Tasks = typer.Option(None, "--tasks", help="Comma-separated task ids to restrict the benchmark to.")
DbUrl = typer.Option(None, "--db-url", help="The archive's database (postgresql://user@host/db) when the run directory "
                                            "does not name it; the password comes from PGPASSWORD or ~/.pgpass.")


def benchmark_overrides(benchmark: str | None, benchmark_path: Path | None, dataset: str | None,
                        languages: str | None, repos_dir: Path | None, tasks: str | None) -> dict[str, Any]:
    return {
        "evaluation.benchmark": benchmark,
        "evaluation.benchmark_path": str(benchmark_path) if benchmark_path else None,
        "evaluation.dataset": dataset,
        "evaluation.languages": languages.split(",") if languages else None,
        "evaluation.repos_dir": str(repos_dir) if repos_dir else None,
        "evaluation.tasks": tasks.split(",") if tasks else None,
    }


def _sandbox(cfg: RunConfig, role: str):
    from sandbox.container import DockerSandbox
    from sandbox.engine import docker_client

    return DockerSandbox(docker_client(), cfg.sandbox, labels={"dgm.role": role})


@bench_app.command("list")
def list_tasks(
    name: str = typer.Argument("builtin", help="builtin | polyglot | swebench | a suite folder name."),
    benchmark_path: Optional[Path] = BenchmarkPath, dataset: Optional[str] = Dataset,
    languages: Optional[str] = Languages, repos_dir: Optional[Path] = ReposDir, tasks: Optional[str] = Tasks,
) -> None:
    """The tasks of a benchmark, with their difficulty and kind, and the suite's first stage."""
    from benchmarks.registry import load_benchmark

    cfg = load_config(None, benchmark_overrides(name, benchmark_path, dataset, languages, repos_dir, tasks))
    bench = load_benchmark(cfg.evaluation)
    first = set(bench.first_stage or ())
    table = Table("task", "difficulty", "kind", "language", "tests", "stage 1", title=f"benchmark {bench.name}")
    for t in bench.tasks:
        n_tests = len(t.fail_to_pass) + len(t.pass_to_pass)
        table.add_row(t.id, t.difficulty, t.kind, t.language, str(n_tests or "all"), "yes" if t.id in first else "")
    console.print(table)
    by_difficulty = Counter(t.difficulty for t in bench.tasks)
    by_kind = Counter(t.kind for t in bench.tasks)
    console.print(f"{len(bench.tasks)} tasks; " + ", ".join(f"{n} {k}" for k, n in sorted(by_difficulty.items()))
                  + "; " + ", ".join(f"{n} {k}" for k, n in sorted(by_kind.items())), highlight=False)


@bench_app.command("check")
def check(
    name: str = typer.Argument("builtin", help="builtin | polyglot | swebench | a suite folder name."),
    benchmark_path: Optional[Path] = BenchmarkPath, dataset: Optional[str] = Dataset,
    languages: Optional[str] = Languages, repos_dir: Optional[Path] = ReposDir, tasks: Optional[str] = Tasks,
    workers: int = typer.Option(2, min=1, help="Tasks checked in parallel."),
    config: Optional[Path] = typer.Option(None, "--config", help="A run config file (sandbox limits and image)."),
) -> None:
    """Grade every task's untouched repository once and its reference solution twice, for real.

    Exits 1 when any task is broken (the reference fails, or the untouched repository passes).
    """
    from benchmarks.cache import GradeCache
    from benchmarks.check import check_suite
    from benchmarks.prepare import prepare_images
    from benchmarks.registry import load_benchmark

    cfg = load_config(config, benchmark_overrides(name, benchmark_path, dataset, languages, repos_dir, tasks))
    bench = load_benchmark(cfg.evaluation)
    sandbox = _sandbox(cfg, "bench-check")
    try:
        prepare_images(sandbox, bench, log=lambda msg: errors.print(f"[dim]{msg}[/]"))
        console.print(f"checking {len(bench.tasks)} task(s) of {bench.name}: untouched once, reference twice ...")
        with TaskProgress(console, f"bench check {bench.name}", len(bench.tasks), ("ok", "flaky", "broken")) as progress:
            results = check_suite(sandbox, bench.tasks, workers=workers, cache=GradeCache(), use_cached=False,
                                  on_result=lambda task, c, cached: progress.done(
                                      c.status, f"{c.status}: {task.id}: {c.reason}" if c.status != "ok" else None))
    finally:
        sandbox.close()  # on Ctrl-C too: the containers still running are removed
    table = Table("task", "difficulty", "untouched", "reference", "status", "reason", "s", title=f"bench check: {bench.name}")
    style = {"ok": "green", "flaky": "yellow", "broken": "bold red"}
    for t in bench.tasks:
        c = results[t.id]
        table.add_row(t.id, t.difficulty, c.untouched, " / ".join(c.reference), f"[{style[c.status]}]{c.status}[/]",
                      c.reason[:80], f"{c.duration_s:.1f}")
    console.print(table)
    counts = Counter(c.status for c in results.values())
    console.print(f"{len(results)} tasks: {counts['ok']} ok, {counts['flaky']} flaky, {counts['broken']} broken",
                  highlight=False)
    if counts["broken"]:
        raise typer.Exit(1)


def regrade(
    run_dir: Path = typer.Option(Path("dgm-run"), "--run-dir", help="The run's directory."),
    agent: Optional[int] = typer.Option(None, "--agent", help="Only this agent's evaluations."),
    task: Optional[str] = typer.Option(None, "--task", help="Only this task."),
    db_url: Optional[str] = DbUrl,
) -> None:
    """Grade recorded patches again from the archive, in fresh containers, and compare with the record.

    Exits 1 when any outcome differs (a flaky test, a changed task or image, or a grader bug).
    """
    from archive_db.store import open_run_archive
    from benchmarks.grader import grade
    from benchmarks.registry import load_benchmark
    from benchmarks.task import load_canaries

    archive, run = open_run_archive(run_dir, db_url)
    try:
        cfg = RunConfig.model_validate(json.loads(run.config_json))
        agents = [archive.get_agent(agent)] if agent is not None else archive.agents(run.id)
        evaluations = [e for a in agents for e in archive.evaluations(a.id, canary=None) if (task is None or e.task_id == task)]
    finally:
        archive.close()
    if not evaluations:
        raise NotFoundError("no recorded evaluations match")
    tasks = {t.id: t for t in load_benchmark(cfg.evaluation.model_copy(update={"tasks": None})).tasks}
    canaries = {t.id: t for t in load_canaries()}  # a canary check is graded again like any task
    sandbox = _sandbox(cfg, "regrade")
    table = Table("agent", "task", "recorded", "now", "task changed", title=f"regrade: {run_dir}")
    differ = 0
    word = {True: "resolved", False: "unresolved"}
    try:
        with TaskProgress(console, "regrade", len(evaluations), ("agree", "differ")) as progress:
            for ev in evaluations:
                t = (canaries if ev.canary else tasks).get(ev.task_id)
                if t is None:
                    where = "the cheating canaries" if ev.canary else f"benchmark '{cfg.evaluation.benchmark}'"
                    raise NotFoundError(f"task {ev.task_id} is no longer in {where}")
                now = grade(sandbox, t, ev.patch) if ev.patch.strip() else None
                resolved = bool(now and now.resolved)
                differ += resolved != ev.resolved
                changed = "yes" if ev.task_hash and ev.task_hash != t.content_hash() else ""
                table.add_row(str(ev.agent_id), ev.task_id, word[ev.resolved],
                              ("[red]" if resolved != ev.resolved else "") + (word[resolved] if now else "empty patch"), changed)
                progress.done("differ" if resolved != ev.resolved else "agree",
                              f"differs: agent {ev.agent_id} on {ev.task_id}: recorded {word[ev.resolved]}, now "
                              f"{word[resolved]}" if resolved != ev.resolved else None)
    finally:
        sandbox.close()  # on Ctrl-C too: the container still running is removed
    console.print(table)
    console.print(f"{len(evaluations)} evaluation(s) re-graded: {len(evaluations) - differ} agree, {differ} differ",
                  highlight=False)
    if differ:
        raise typer.Exit(1)


def _read_patch(source: Path) -> str:
    import sys

    if str(source) == "-":
        return sys.stdin.read()
    try:
        return source.read_text(encoding="utf-8", errors="surrogateescape")
    except FileNotFoundError:
        raise NotFoundError(f"patch file not found: {source}") from None
    except IsADirectoryError:
        raise NotFoundError(f"{source} is a folder, not a patch file") from None


@bench_app.command("grade")
def grade_patch(
    task_id: str = typer.Argument(..., help="The task to grade the patch against."),
    patch: Path = typer.Option(
        ..., "--patch", help="A unified diff in git's format (what `dgm replay` writes); - reads standard input."),
    benchmark: str = typer.Option("builtin", "--benchmark", help="builtin | polyglot | swebench | a suite folder name."),
    benchmark_path: Optional[Path] = BenchmarkPath, dataset: Optional[str] = Dataset,
    languages: Optional[str] = Languages, repos_dir: Optional[Path] = ReposDir,
    config: Optional[Path] = typer.Option(None, "--config", help="A run config file (sandbox limits, images, SWE-bench grader)."),
    output: bool = typer.Option(False, "--output", help="Also print the test runner's output."),
) -> None:
    """Grade one patch against one task in fresh containers, exactly as a run grades (no cache).

    Prints the verdict (resolved, not resolved or tampered, with the reason), what was stripped from
    the patch, and every test's outcome. Exits 0 only when the patch resolves the task.
    """
    from benchmarks.prepare import prepare_images
    from benchmarks.registry import load_benchmark

    if "," in task_id:
        raise NotFoundError(f"one task at a time: {task_id!r} names several")
    text = _read_patch(patch)
    cfg = load_config(config, benchmark_overrides(benchmark, benchmark_path, dataset, languages, repos_dir, task_id))
    bench = load_benchmark(cfg.evaluation)
    (task,) = bench.tasks
    sandbox = _sandbox(cfg, "bench-grade")
    try:
        prepare_images(sandbox, bench, log=lambda msg: errors.print(f"[dim]{msg}[/]"))
        if task.benchmark == "swebench" and cfg.evaluation.swebench_grader == "official":
            from benchmarks.swebench import grade_official_one

            result = grade_official_one(task, text)
        else:
            from benchmarks.grader import grade

            result = grade(sandbox, task, text)
    finally:
        sandbox.close()
    if output:
        console.print(result.output, markup=False, highlight=False)
    table = Table("test", "outcome", title=f"{task.id}: every test's outcome")
    colour = {"PASSED": "green", "FAILED": "red", "ERROR": "red", "MISSING": "red"}
    for name, outcome in sorted(result.tests.items()):
        table.add_row(name, f"[{colour.get(outcome, 'yellow')}]{outcome}[/]")
    console.print(table)
    for path in result.stripped_paths:
        console.print(f"stripped: {path} (a patch may not change tests or what decides how they run)", markup=False)
    style = {"resolved": "bold green", "not resolved": "bold red", "tampered": "bold magenta"}[result.verdict]
    reason = result.tampered or result.error or ""
    console.print(f"[{style}]{result.verdict}[/]" + (f": {reason}" if reason else "") + f" ({result.duration_s:.1f} s)",
                  highlight=False)
    if not result.resolved:
        raise typer.Exit(1)
