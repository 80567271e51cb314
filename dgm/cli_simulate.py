"""`dgm simulate`: compare search policies on a synthetic landscape (docs/SIMULATE.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from dgm.errors import DgmError
from dgm.terminal import console


def simulate(
    policy: str = typer.Option("dgm,hgm,greedy,random,latest", "--policy",
                               help="Policies to compare, comma-separated: dgm, hgm, greedy, random, latest."),
    landscape_name: str = typer.Option("default", "--landscape", help="default, rare, inherited or noisy."),
    source: Optional[Path] = typer.Option(None, "--from",
                                          help="A run directory whose children's score changes calibrate the landscape."),
    db_url: Optional[str] = typer.Option(None, "--db-url", help="The database of the --from run, if it is on a server."),
    seeds: int = typer.Option(20, help="Seeds (independent runs) per policy."),
    budget: int = typer.Option(1500, help="Task evaluations each run may spend."),
    target: Optional[float] = typer.Option(None, help="The true skill to reach (default: the seed's + 0.2)."),
    tasks: Optional[int] = typer.Option(None, help="Tasks in the suite (default: the landscape's, 60)."),
    stages: Optional[str] = typer.Option(None, help="Staged policies' cumulative stage sizes, e.g. 10,60 (default: scaled)."),
    threshold: float = typer.Option(0.4, help="Staged policies: the score that earns the next stage."),
    alpha: float = typer.Option(0.6, help="hgm: expand when evaluations ** alpha >= agents."),
    cooldown: bool = typer.Option(False, "--cooldown", help="hgm: sharpen its sampling as the budget runs out."),
    workers: int = typer.Option(1, help="Jobs in flight at once."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write report.json, report.md and plot.svg here."),
) -> None:
    """Run search policies against a synthetic landscape (no Docker, no model): which reaches a better agent for fewer evaluations."""
    from dataclasses import replace

    from dgm.policies import POLICIES
    from dgm.simulate.landscape import calibrate, landscape
    from dgm.simulate.report import run_many, summarise, write

    names = [p.strip() for p in policy.split(",") if p.strip()]
    unknown = [p for p in names if p not in POLICIES]
    if unknown or not names:
        raise DgmError(f"unknown policy {', '.join(unknown) or '(none given)'}: choose from {', '.join(POLICIES)}")
    if seeds < 1 or budget < 1 or workers < 1:
        raise DgmError("--seeds, --budget and --workers must be at least 1")
    if not 0 <= threshold <= 1 or alpha <= 0 or (target is not None and not 0 < target <= 1):
        raise DgmError("--threshold must be in [0, 1], --alpha positive and --target in (0, 1]")
    land = landscape(landscape_name)
    if source is not None:
        land = calibrate(source, db_url, land)
    if tasks is not None:
        land = replace(land, n_tasks=tasks)
    stage_sizes = _stages(stages)
    goal = target if target is not None else min(1.0, land.seed_skill + 0.2)
    runs = run_many(names, land, list(range(seeds)), budget, stages=stage_sizes, threshold=threshold, alpha=alpha,
                    cooldown=cooldown, workers=workers)
    report = summarise(runs, land, budget, goal)
    _print(report)
    if out is not None:
        for path in write(report, out):
            console.print(f"wrote {path}", highlight=False, markup=False)


def _stages(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise DgmError(f"--stages {text!r}: comma-separated task counts, e.g. 10,60") from None
    if not sizes or sizes[0] < 1 or any(b <= a for a, b in zip(sizes, sizes[1:], strict=False)):
        raise DgmError(f"--stages {text!r}: positive and strictly increasing")
    return sizes


def _print(report: dict) -> None:
    land = report["landscape"]
    table = Table("policy", "handed-over true skill", "evals to target", "reached", "best in tree", "attempts", "evals/s",
                  title=f"landscape {land['name']}: {report['seeds']} seeds, budget {report['budget']} evaluations, "
                        f"target {report['target']:.2f} (seed {land['seed_skill']:.2f})")
    for name, p in report["policies"].items():
        f, t = p["final_skill"], p["evaluations_to_target"]
        table.add_row(name, f"{f['median']:.3f} [{f['q1']:.3f}, {f['q3']:.3f}]",
                      f"{t['median']:.0f} [{t['q1']:.0f}, {t['q3']:.0f}]" if t else "never",
                      f"{p['reached_target']:.0%}", f"{p['best_in_tree_median']:.3f}", f"{p['attempts_median']:.0f}",
                      str(p["evaluations_per_s"]))
    console.print(table)
