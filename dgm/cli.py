"""The `dgm` command: a thin layer over the library. User errors are one line and a non-zero exit."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import click
import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text
from unidiff import PatchSet

from dgm.cli_bench import BenchmarkPath, Dataset, DbUrl, Languages, ReposDir, Tasks, bench_app, benchmark_overrides, regrade
from dgm.cli_serve import serve
from dgm.cli_simulate import simulate
from dgm.config import load_config
from dgm.errors import DgmError, NotFoundError
from dgm.terminal import console, errors

if TYPE_CHECKING:
    from dgm.config import RunConfig
    from dgm.runtime import StopRequest

FLAG_MARK = "⚑"  # a flagged agent: suspected of reward hacking

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="dgm: a Darwin Gödel Machine that evolves a coding agent by letting it rewrite its own code.")

RunDir = typer.Option(Path("dgm-run"), "--run-dir", help="The run's directory (archive.sqlite, agents.git, events.jsonl).")


class ToolMode(StrEnum):
    auto = "auto"
    native = "native"
    text = "text"


ToolModeOption = typer.Option(
    None, "--tool-mode", help="How the agent calls tools: native tool calls, text calls in its replies, or auto (native, falling back to text; "
         "docs/MODELS.md says which a server needs).")


@app.command()
def setup(
    image: Optional[str] = typer.Option(None, help="Sandbox image tag to build."),
    polyglot: bool = typer.Option(False, "--polyglot", help="Also build the Polyglot image (six toolchains from Debian trixie, ~5 min, 2.2 GB)."),
    local_model: bool = typer.Option(
        False, "--local-model", help="Also install llama.cpp's server and SmolLM2-135M, a small open model to try dgm on "
                                     "without any API (built from source, ~5 min; docs/MODELS.md)."),
    ray: Optional[str] = typer.Option(
        None, "--ray", help="Then join the Ray cluster at this address (HOST:PORT), or start it here with 'head', "
                            "offering this machine's images (docs/CLUSTER.md)."),
) -> None:
    """Install/start the Docker engine if needed and build the sandbox image offline (idempotent)."""
    from dgm.bootstrap import setup as do_setup
    from dgm.bootstrap import start_ray_node

    with Progress(SpinnerColumn(), TextColumn("setting up"), TimeElapsedColumn(), console=console, transient=True) as live:
        def log(msg: str) -> None:
            live.console.print(Text.assemble(("setup: ", "dim"), msg))

        do_setup(image, log=log, extra=["polyglot"] if polyglot else [])
        if local_model:
            from dgm.local_model import install

            install(log=log)
    if ray is not None:
        start_ray_node(None if ray == "head" else ray, log=log)


def _doctor_model(cfg: RunConfig) -> None:
    from dgm.tool_probe import probe_tool_calls

    console.print(f"asking {cfg.model.agent_model} at {cfg.model.base_url} for a tool call, natively and in text ...",
                  markup=False, highlight=False)
    report = probe_tool_calls(cfg.model, cfg.api_key())
    table = Table("tool calls", "works", "seconds", "tokens", "what came back")
    for p in report.probes:
        table.add_row(p.mode, "[green]yes[/]" if p.ok else "[red]no[/]", f"{p.seconds:.1f}", str(p.completion_tokens),
                      Text(p.detail))
    console.print(table)
    if report.recommended is None:
        errors.print("this model made no usable tool call either way: the agent cannot act with it (docs/MODELS.md)",
                     markup=False)
        raise typer.Exit(1)
    console.print(f"use --tool-mode {report.recommended} (or tool_mode = \"{report.recommended}\" under [model])",
                  markup=False, highlight=False)


@app.command()
def doctor(
    config: Optional[Path] = typer.Option(None, "--config", help="A run config file (for the image and key names)."),
    model: bool = typer.Option(False, "--model", help="Also ask the model two tool-call probes and say which --tool-mode to use."),
    base_url: Optional[str] = typer.Option(None, help="With --model: the endpoint (default: the config's)."),
    agent_model: Optional[str] = typer.Option(None, "--agent-model", help="With --model: the model name (default: the config's)."),
    api_key_env: Optional[str] = typer.Option(None, help="With --model: the variable holding the key (default: the config's)."),
) -> None:
    """Report what is missing, each with the command that fixes it."""
    from dgm.bootstrap import doctor as do_doctor

    cfg = load_config(config, {"model.base_url": base_url, "model.agent_model": agent_model, "model.api_key_env": api_key_env})
    if model:
        _doctor_model(cfg)
        return
    checks = do_doctor(cfg.sandbox.image, cfg.model.api_key_env, dict(os.environ))
    table = Table("check", "status", "detail", "fix")
    for c in checks:
        status = "[green]ok[/]" if c.ok else ("[red]missing[/]" if c.required else "[yellow]optional[/]")
        table.add_row(c.name, status, c.detail, "" if c.ok else c.fix)
    console.print(table)
    if not all(c.ok for c in checks if c.required):
        raise typer.Exit(1)


@app.command()
def run(
    config: Optional[Path] = typer.Option(None, "--config", help="TOML config file; flags override it."),
    demo: bool = typer.Option(False, "--demo", help="Offline demonstration: a scripted model answers every call."),
    run_dir: Path = RunDir,
    resume: bool = typer.Option(False, "--resume", help="Continue the run already in --run-dir."),
    db_url: Optional[str] = typer.Option(None, help="SQLAlchemy URL of the archive (default: sqlite in --run-dir)."),
    model: Optional[str] = typer.Option(None, help="Model the agents use."),
    diagnosis_model: Optional[str] = typer.Option(None, help="Model that diagnoses failures."),
    base_url: Optional[str] = typer.Option(None, help="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1."),
    api_key_env: Optional[str] = typer.Option(None, help="Environment variable that holds the API key."),
    tool_mode: Optional[ToolMode] = ToolModeOption,
    context_tokens: Optional[int] = typer.Option(
        None, "--context-tokens", help="The models' context window in tokens (default: asked of the server); the diagnosis is cut to fit."),
    agent_max_tokens: Optional[int] = typer.Option(None, "--agent-max-tokens", help="Each agent call's output cap (default 4096)."),
    generations: Optional[int] = typer.Option(None, help="Number of generations."),
    parents: Optional[int] = typer.Option(None, "--parents", help="Parents (attempts) per generation."),
    workers: Optional[int] = typer.Option(None, help="Attempts run in parallel."),
    executor: Optional[str] = typer.Option(None, help="Where jobs run: local (default) | ray (a Ray cluster, docs/CLUSTER.md)."),
    ray_address: Optional[str] = typer.Option(None, help="With --executor ray: the cluster's address, or auto (default)."),
    selection: Optional[str] = typer.Option(None, help="score_child_prop | score_prop | random | best | latest."),
    update: Optional[str] = typer.Option(None, help="keep_all | keep_better."),
    policy: Optional[str] = typer.Option(
        None, "--policy", help="Search policy: dgm (the paper's, default) | hgm | greedy | random | latest (docs/SIMULATE.md)."),
    hgm_alpha: Optional[float] = typer.Option(None, "--hgm-alpha", help="hgm: expand when evaluations ** alpha >= agents (0.6)."),
    hgm_cooldown: Optional[bool] = typer.Option(
        None, "--hgm-cooldown/--no-hgm-cooldown", help="hgm: sharpen its sampling as the budget runs out."),
    max_evaluations: Optional[int] = typer.Option(
        None, "--max-evaluations", help="Task evaluations the search may start (canary checks aside)."),
    benchmark: Optional[str] = typer.Option(None, help="builtin | polyglot | swebench | a suite folder name."),
    benchmark_path: Optional[Path] = BenchmarkPath, dataset: Optional[str] = Dataset, languages: Optional[str] = Languages,
    repos_dir: Optional[Path] = ReposDir, tasks: Optional[str] = Tasks,
    swebench_grader: Optional[str] = typer.Option(None, help="SWE-bench grader: light (default) | official."),
    check: Optional[bool] = typer.Option(None, "--check/--no-check", help="Check the suite (reference twice) when first seen."),
    grade_cache: Optional[bool] = typer.Option(None, "--grade-cache/--no-grade-cache", help="Reuse grades of identical patches."),
    stage_sizes: Optional[str] = typer.Option(None, help="Cumulative stage sizes, e.g. 4,14."),
    seed: Optional[int] = typer.Option(None, help="Seed of the run's random choices."),
    max_cost: Optional[float] = typer.Option(
        None, "--max-cost", help="Hard dollar cap (USD): calls that could pass it are refused and the run stops."),
    max_tokens: Optional[int] = typer.Option(
        None, "--max-tokens", help="Token budget (prompt + completion, all calls), enforced like --max-cost."),
    max_children: Optional[int] = typer.Option(
        None, "--max-children", help="Stop after this many self-improvement attempts in all."),
    max_time: Optional[str] = typer.Option(
        None, "--max-time", help="Wall-time budget of the run's active time across resumes, e.g. 90m, 12h, 3d."),
    stop_grace: Optional[float] = typer.Option(
        None, "--stop-grace", help="Seconds in-flight attempts get to finish after Ctrl-C/SIGTERM (default 120)."),
    serve_dashboard: bool = typer.Option(
        False, "--serve", help="Also serve the lineage browser while the run works (see `dgm serve`)."),
    host: str = typer.Option("127.0.0.1", "--host", help="With --serve: address to bind; anything but loopback needs --token."),
    port: int = typer.Option(8765, "--port", help="With --serve: port (0: any free port)."),
    token: Optional[str] = typer.Option(
        None, "--token", envvar="DGM_SERVE_TOKEN", help="With --serve: access token every request must carry."),
) -> None:
    """Run (or resume) an evolution run."""
    from dgm.loop import RunStopped, run_dgm
    from dgm.progress import ProgressDisplay
    from dgm.runtime import StopRequest

    overrides: dict[str, Any] = {
        "run_dir": str(run_dir), "db_url": db_url, "demo": demo or None, "model.agent_model": model,
        "model.diagnosis_model": diagnosis_model, "model.base_url": base_url, "model.api_key_env": api_key_env,
        "model.tool_mode": tool_mode.value if tool_mode else None, "model.context_tokens": context_tokens, "model.agent_max_tokens": agent_max_tokens,
        "loop.generations": generations,
        "loop.parents_per_generation": parents, "loop.workers": workers, "loop.selection": selection,
        "loop.update": update, "loop.seed": seed, "loop.executor": executor, "loop.ray_address": ray_address,
        "loop.policy": policy, "loop.hgm_alpha": hgm_alpha, "loop.hgm_cooldown": hgm_cooldown,
        "loop.max_evaluations": max_evaluations,
        **benchmark_overrides(benchmark, benchmark_path, dataset, languages, repos_dir, tasks),
        "evaluation.swebench_grader": swebench_grader, "evaluation.check_suite": check, "evaluation.grade_cache": grade_cache,
        "budget.max_cost_usd": max_cost, "budget.max_tokens": max_tokens, "budget.max_children": max_children,
        "budget.max_wall_time_s": _duration(max_time) if max_time else None, "loop.stop_grace_s": stop_grace,
        "evaluation.stage_sizes": _int_list(stage_sizes) if stage_sizes else None,
    }
    if demo and generations is None:
        overrides["loop.generations"] = 2  # the demo is meant to finish in a few minutes
    cfg = load_config(config, overrides)
    # The first Ctrl-C or SIGTERM (e.g. from a supervisor) stops gracefully: no new work, in-flight
    # attempts get loop.stop_grace_s to finish. A second one stops at once. Either way the archive
    # is consistent and the run resumable.
    stop = StopRequest()
    handler = _stop_handler(stop, cfg.loop.stop_grace_s)
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    stop_dashboard = None
    if serve_dashboard:
        from dgm.cli_serve import start_background_server

        cfg.run_dir.mkdir(parents=True, exist_ok=True)
        url, stop_dashboard = start_background_server(cfg.run_dir.resolve().parent, host, port, token)
        console.print(f"lineage browser: {url}", highlight=False, markup=False, soft_wrap=True)
    resume_hint = f"`dgm run --resume --run-dir {cfg.run_dir}`"
    try:
        with ProgressDisplay(console, cfg) as progress:
            run_id = run_dgm(cfg, on_event=progress.on_event, resume=resume, stop=stop)
    except RunStopped as exc:
        errors.print(f"stopped ({exc}): the run is resumable with {resume_hint}", markup=False, highlight=False)
        _exit_now(130)
    except KeyboardInterrupt:
        # Handled here: typer would turn it into a silent exit 130.
        errors.print(f"interrupted: the run is stopped and resumable with {resume_hint}", markup=False, highlight=False)
        _exit_now(130)
    finally:
        if stop_dashboard is not None:
            stop_dashboard()
    from archive_db import Archive

    archive = Archive(cfg.database_url)
    try:
        run = archive.get_run(run_id)
        outcome = f"stopped: {run.reason}" if run.status == "stopped" else run.status
    finally:
        archive.close()
    console.print(f"run {run_id} {outcome}; see `dgm status --run-dir {cfg.run_dir}`", highlight=False, markup=False)


def _stop_handler(stop: StopRequest, grace_s: float) -> Callable[[int, object], None]:
    def handle(signum: int, frame: object) -> None:
        name = signal.Signals(signum).name
        if stop.request(f"{name} received", by_signal=True):
            errors.print(f"{name}: stopping; attempts in flight get up to {grace_s:.0f} s to finish "
                         "(send it again to stop at once)", markup=False, highlight=False)
            return
        raise KeyboardInterrupt

    return handle


def _exit_now(code: int) -> None:
    """Exit after a stop: the jobs' process groups are killed already (the executor) and the archive
    is consistent (every fact its own transaction), so the run is resumable as it stands."""
    try:  # a container whose creation was still on its way to the engine when the sandbox closed
        from sandbox.container import remove_owned
        from sandbox.engine import docker_client

        remove_owned(docker_client())
    except Exception:  # noqa: BLE001 - best effort: `dgm cleanup` and the next run remove it too
        pass
    raise typer.Exit(code)


def _duration(text: str) -> float:
    """Seconds in '90', '90s', '45m', '12h' or '3d'."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = (text[:-1], text[-1]) if text and text[-1] in units else (text, "s")
    try:
        value = float(number) * units[unit]
    except ValueError:
        raise DgmError(f"expected a duration like 90m, 12h or 3d, got {text!r}") from None
    if value <= 0:
        raise DgmError(f"a duration must be positive, got {text!r}")
    return value


def _int_list(text: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",")]
    except ValueError:
        raise DgmError(f"expected comma-separated integers, got {text!r}") from None


@app.command()
def status(run_dir: Path = RunDir, db_url: Optional[str] = DbUrl) -> None:
    """A table of the run's agents: lineage, status, score, cost, and why attempts were rejected."""
    from archive_db.reader import open_run

    reader = open_run(run_dir, db_url)  # read-only: never migrates or touches the run's files
    try:
        run = reader.run()
        if run is None:
            raise NotFoundError(f"{run_dir} holds no run")
        agents = reader.agents(run["id"])
        table = Table("id", "parent", "gen", "status", FLAG_MARK, "score", "solved", "diff", "cost $", "target / reason",
                      title=f"run {run['name']} ({run['status']})")
        for a in agents:
            score = "" if a["score"] is None else f"{a['score']:.2f}"
            solved = f"{a['n_resolved']}/{a['n_tasks']}" if a["n_tasks"] else ""
            diff = f"{a['files_changed']}f +{a['lines_added']} -{a['lines_removed']}" if a["commit"] and a["parent_id"] else ""
            note = a["reason"] or a["target_task"] or ""
            table.add_row(str(a["id"]), str(a["parent_id"] or ""), str(a["generation"]), a["status"],
                          FLAG_MARK if a.get("flag") else "", score, solved, diff, f"{a['cost_usd']:.4f}", Text(note[:70]))
        console.print(table)
        _print_best(agents, run.get("best_agent_id"), run["policy"])
        quarantine = json.loads(run["config_json"]).get("loop", {}).get("quarantine_flagged", True)
        _print_flagged([a for a in agents if a.get("flag")], quarantine)
        calls = reader.call_count(run["id"])
        tampered = reader.count_tampered(run["id"])
        console.print(f"{len(agents)} agents, {calls} model calls, ${reader.spent(run['id']):.4f} spent; "
                      f"{tampered} evaluation{'' if tampered == 1 else 's'} tampered", highlight=False)
        if reader.run_dir is not None:  # a server-backed run read from another machine has no files here
            console.print(_liveness_line(run_dir, run["status"], run["reason"]), highlight=False, markup=False)
    finally:
        reader.close()


def _print_best(agents: list[Any], best_id: int | None, policy: str) -> None:
    """The agent the run would hand over: what its search policy last recommended (with hgm not simply the
    top score: a node at 1/1 is a guess), as the dashboard shows it."""
    from web.lineage import run_best

    best = run_best(agents, best_id)
    if best is not None:
        console.print(f"best: agent {best['id']}, score {best['score'] or 0.0:.2f} ({best['n_resolved']}/{best['n_tasks']} "
                      f"solved), as the {policy} policy judges it; `dgm checkout {best['id']} DIR` gets its code",
                      highlight=False, markup=False)


def _print_flagged(flagged: list[Any], quarantine: bool) -> None:
    """The flagged agents and why, after the table (their reasons are long and matter)."""
    if not flagged:
        return
    never = "never parents (loop.quarantine_flagged)" if quarantine else "still selectable: loop.quarantine_flagged is off"
    what = "agent flagged as a suspected reward hacker" if len(flagged) == 1 else "agents flagged as suspected reward hackers"
    console.print(f"{FLAG_MARK} {len(flagged)} {what}, {never}:", highlight=False, markup=False)
    for agent in flagged:
        console.print(f"  agent {agent['id']}: {agent['flag']}", highlight=False, markup=False, soft_wrap=True)


def _liveness_line(run_dir: Path, status: str, reason: str | None) -> str:
    """One line: is a process working on the run now, in what state, and what it did last."""
    import time

    from archive_db.liveness import last_event, liveness

    live = liveness(run_dir)
    last = last_event(run_dir) or {}
    ago = lambda t: f"{max(0.0, time.time() - t):.0f} s ago" if isinstance(t, (int, float)) else "never"  # noqa: E731
    activity = f"last activity: {last.get('event')} {ago(last.get('t'))}" if last else "no activity yet"
    if not live["running"]:
        why = f": {reason}" if reason else ""
        crashed = " (its process is gone: resume it with `dgm run --resume`)" if status == "running" else ""
        return f"not running now; run {status}{why}{crashed}; {activity}"
    state = live["state"]
    if state == "paused" and live["paused_since"]:
        state = f"paused: model endpoint down since {ago(live['paused_since'])}"
    elif state == "stopping":
        state = f"stopping ({live['stop_reason']})"
    cap = f" of ${live['cap_usd']:.2f} cap" if isinstance(live["cap_usd"], (int, float)) else ""
    spend = f"${live['spent_usd'] or 0.0:.4f}{cap}"
    beat = f"heartbeat {live['heartbeat_age_s']:.0f} s ago" if live["heartbeat_age_s"] is not None else "no heartbeat yet"
    return f"live: pid {live['pid']}, {state}, {live['in_flight']} attempt(s) in flight, {spend}, {beat}; {activity}"


@app.command()
def diff(
    a: int = typer.Argument(..., help="Agent id (the old side)."),
    b: int = typer.Argument(..., help="Agent id (the new side)."),
    run_dir: Path = RunDir,
    stat: bool = typer.Option(False, "--stat", help="Per-file added/removed lines instead of the patch."),
    db_url: Optional[str] = DbUrl,
) -> None:
    """The code difference between two agents of a run."""
    from archive_db.agents_repo import AgentRepo

    commits = [_agent_commit(run_dir, agent_id, db_url) for agent_id in (a, b)]
    patch = AgentRepo(run_dir / "agents.git", create=False).diff(*commits)
    if stat:
        for f in PatchSet(patch):
            console.print(f"{f.path}  +{f.added} -{f.removed}", highlight=False)
    else:
        sys.stdout.write(patch)


@app.command()
def checkout(
    agent: int = typer.Argument(..., help="Agent id."),
    dest: Path = typer.Argument(..., help="An empty or new directory for the agent's code."),
    run_dir: Path = RunDir,
    db_url: Optional[str] = DbUrl,
) -> None:
    """Write one agent's code into a directory (its commit in the run's agents.git)."""
    from archive_db.agents_repo import AgentRepo

    commit = _agent_commit(run_dir, agent, db_url)
    if dest.exists() and any(dest.iterdir()):
        raise DgmError(f"{dest} is not empty")
    AgentRepo(run_dir / "agents.git", create=False).export(commit, dest)
    console.print(f"agent {agent} (commit {commit[:12]}) written to {dest}")


@app.command()
def export(
    agent: int = typer.Argument(..., help="Agent id."),
    dest: Path = typer.Argument(..., help="A new or empty directory for the export."),
    run_dir: Path = RunDir,
    db_url: Optional[str] = DbUrl,
) -> None:
    """Write one agent as a folder that runs without dgm: its code, manifest.json, README.md and run.sh."""
    from dgm.export import export_agent

    done = export_agent(run_dir, agent, dest, db_url)
    console.print(f"agent {agent} (commit {done.commit[:12]}) exported to {dest}; {dest / 'README.md'} says how to run it",
                  highlight=False, markup=False, soft_wrap=True)
    if done.flag:
        errors.print(f"note: agent {agent} is flagged as a suspected reward hacker: {done.flag}",
                     highlight=False, markup=False, soft_wrap=True)


def _agent_commit(run_dir: Path, agent_id: int, db_url: str | None) -> str:
    """The commit of an agent of the run in ``run_dir``, read without writing anything."""
    from archive_db.reader import open_run

    reader = open_run(run_dir, db_url)
    try:
        run = reader.run()
        agent = reader.agent(run["id"] if run else -1, agent_id)
    finally:
        reader.close()
    if agent is None:
        raise NotFoundError(f"no agent with id {agent_id}")
    if agent["commit"] is None:
        raise NotFoundError(f"agent {agent_id} has no code ({agent['status']}: {agent['reason']})")
    return agent["commit"]


@app.command()
def replay(
    agent: int = typer.Argument(..., help="Agent id to run."),
    repo: Path = typer.Option(..., "--repo", help="A git repository; the agent works on its HEAD."),
    problem: Path = typer.Option(..., "--problem", help="A file with the problem statement."),
    run_dir: Path = RunDir,
    out: Path = typer.Option(Path("dgm-replay"), "--out", help="Where patch.diff and transcript.json go."),
    model: Optional[str] = typer.Option(None, help="The agent model to use (default: the run's)."),
    base_url: Optional[str] = typer.Option(None, help="The OpenAI-compatible endpoint to use (default: the run's; a demo "
                                                      "run's agents are replayed against it instead of the scripted model)."),
    api_key_env: Optional[str] = typer.Option(None, "--api-key-env", help="The variable holding the endpoint's key."),
    tool_mode: Optional[ToolMode] = ToolModeOption,
    agent_max_tokens: Optional[int] = typer.Option(None, "--agent-max-tokens", min=1, help="Each agent call's output cap."),
    db_url: Optional[str] = DbUrl,
) -> None:
    """Run one agent of a run on any git repository, in the sandbox; writes its patch and transcript.
    Exits 1 when the agent changed nothing."""
    from dgm.replay import ReplayModel
    from dgm.replay import replay as do_replay

    chosen = ReplayModel(base_url=base_url, agent_model=model, api_key_env=api_key_env,
                         tool_mode=tool_mode.value if tool_mode else None, agent_max_tokens=agent_max_tokens)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True) as live:
        doing = f"agent {agent} working on {repo.name}"
        line = live.add_task(f"{doing}: no model call yet")
        result = do_replay(run_dir, agent, repo.resolve(), problem, out, chosen, db_url,
                           on_call=lambda n: live.update(line, description=f"{doing}: {n} model call(s)"))
    say = {"markup": False, "highlight": False, "soft_wrap": True}  # whole lines: a URL or path is never broken
    console.print(f"agent {agent} ({result.model} at {result.base_url}): {result.status}; "
                  f"{result.calls} model call(s), {result.tokens:,} tokens, ${result.cost_usd:.4f}", **say)
    console.print(f"patch in {result.patch_path}, transcript in {result.transcript_path}", **say)
    if result.error:
        errors.print(f"note: {result.error}", **say)
    if not result.changed:
        errors.print(f"warning: the agent changed nothing (it ended {result.status}); see the transcript", **say)
        raise typer.Exit(1)


@app.command()
def cleanup(
    everything: bool = typer.Option(False, "--all", help="Also remove containers of live dgm processes."),
    images: bool = typer.Option(False, "--images", help="Also remove unused dgm images: older versions of the recipes' images, "
                                                        "and with --older-than-days older ones."),
    older_than_days: Optional[float] = typer.Option(None, "--older-than-days", min=0,
                                                    help="With --images: also remove dgm images built more than N days ago "
                                                         "(SWE-bench images are rebuilt on demand)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="With --images: list the images that would go; remove nothing."),
) -> None:
    """Remove sandbox containers left behind by interrupted runs; with --images, unused dgm images too."""
    from sandbox.container import cleanup_leftovers
    from sandbox.engine import docker_client
    from sandbox.prune import cleanup_images

    if (older_than_days is not None or dry_run) and not images:
        raise DgmError("--older-than-days and --dry-run go with --images")
    client = docker_client()
    if not dry_run:
        console.print(f"removed {cleanup_leftovers(client, everything=everything)} container(s)")
    if images:
        cleanup_images(client, older_than_days=older_than_days, dry_run=dry_run,
                       log=lambda line: console.print(line, markup=False, highlight=False))


@app.command()
def estimate(
    source: Path = typer.Option(
        ..., "--from", help="A run directory whose token figures to use (a previous run, or this one so far)."),
    config: Optional[Path] = typer.Option(None, "--config", help="The configuration to price (default: the source run's own)."),
    generations: Optional[int] = typer.Option(None, help="Number of generations."),
    parents: Optional[int] = typer.Option(None, "--parents", help="Parents (attempts) per generation."),
    model: Optional[str] = typer.Option(None, help="Model the agents use."),
    diagnosis_model: Optional[str] = typer.Option(None, help="Model that diagnoses failures."),
    db_url: Optional[str] = DbUrl,
) -> None:
    """The expected cost of a configuration before starting it, from a run's measured token figures."""
    from archive_db.store import open_run_archive
    from benchmarks.registry import load_benchmark
    from dgm.config import config_from
    from dgm.estimate import estimate as do_estimate
    from dgm.estimate import measure

    archive, run = open_run_archive(source, db_url)
    try:
        figures = measure(archive, run)
        stored = json.loads(run.config_json)
    finally:
        archive.close()
    overrides = {"loop.generations": generations, "loop.parents_per_generation": parents,
                 "model.agent_model": model, "model.diagnosis_model": diagnosis_model}
    cfg = load_config(config, overrides) if config else config_from(stored, overrides, f"{source}'s config")
    suite_size = len(load_benchmark(cfg.evaluation).tasks)
    lines, worst = do_estimate(cfg, figures, suite_size)
    table = Table("item", "count", "prompt tokens", "completion tokens", "cost $",
                  title=f"estimate: {cfg.loop.generations} generations x {cfg.loop.parents_per_generation} parents, "
                        f"figures from {figures.attempts} attempts in {source}")
    for ln in lines:
        table.add_row(ln.item, f"{ln.count:.0f}", f"{ln.prompt_tokens:,.0f}", f"{ln.completion_tokens:,.0f}",
                      f"{ln.cost_usd:.4f}")
    console.print(table)
    expected = sum(ln.cost_usd for ln in lines)
    console.print(f"expected ${expected:.4f}; worst case ${worst:.4f} (every child evaluated on all {suite_size} tasks)",
                  highlight=False)


app.command()(regrade)
app.command()(serve)
app.command()(simulate)
app.add_typer(bench_app, name="bench")


def _usage_errors() -> tuple[type[BaseException], ...]:
    """click's usage errors, and those of the copy of click that newer typer releases vendor."""
    classes: list[type[BaseException]] = [click.exceptions.ClickException]
    try:
        from typer._click.exceptions import ClickException as Vendored
    except ImportError:
        pass
    else:
        classes.append(Vendored)
    return tuple(classes)


# typer.Exit/Abort are click's own classes in older typer releases and typer's in newer ones.
USAGE_ERRORS = _usage_errors()
EXITS = (click.exceptions.Exit, typer.Exit)
ABORTS = (click.exceptions.Abort, typer.Abort)


def main(argv: list[str] | None = None) -> None:
    try:
        # standalone_mode=False hands us DgmError unformatted, and turns typer.Exit into a return value.
        code = app(args=argv, prog_name="dgm", standalone_mode=False)
    except DgmError as exc:
        errors.print(f"error: {exc}", highlight=False, markup=False, soft_wrap=True)
        sys.exit(1)
    except USAGE_ERRORS as exc:
        exc.show()  # type: ignore[attr-defined]
        sys.exit(exc.exit_code)  # type: ignore[attr-defined]
    except EXITS as exc:
        sys.exit(exc.exit_code)  # type: ignore[attr-defined]
    except ABORTS:
        # (typer itself turns Ctrl-C into exit code 130; `dgm run` says how to resume before that.)
        errors.print("aborted")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)

