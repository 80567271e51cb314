"""`dgm estimate`: what a configuration is expected to cost, before it starts.

Token figures come from a run that already happened (a previous run, or the run so far): tokens per
diagnosis, per self-modification and per solved task, and how many tasks an attempt is evaluated
on. They are priced with the configuration's own models and price table, so the same figures
answer "what would 50 generations with a different model cost?". The worst case assumes every
child reaches the full suite.
"""

from __future__ import annotations

from dataclasses import dataclass

from archive_db import Archive, Run
from dgm.config import RunConfig
from dgm.errors import DgmError


@dataclass(frozen=True)
class Figures:
    """Per-unit token means measured in one run."""

    attempts: int
    diagnose: tuple[float, float]  # (prompt, completion) tokens per attempt
    self_modify: tuple[float, float]  # per attempt
    solve: tuple[float, float]  # per evaluated task
    tasks_per_attempt: float  # evaluations per attempt, rejected attempts (0 tasks) included
    seed_tasks: int
    # Cheating-canary checks (dgm/canaries.py): tokens per check, checks per attempt, the seed's.
    canary: tuple[float, float] = (0.0, 0.0)
    canaries_per_attempt: float = 0.0
    seed_canaries: int = 0


@dataclass(frozen=True)
class Line:
    item: str
    count: float
    prompt_tokens: float
    completion_tokens: float
    cost_usd: float


def measure(archive: Archive, run: Run) -> Figures:
    agents = archive.agents(run.id)
    attempts = [a for a in agents if a.status != "seed"]
    seed_evals = sum(len(archive.evaluations(a.id)) for a in agents if a.status == "seed")
    child_evals = sum(len(archive.evaluations(a.id)) for a in attempts)
    seed_checks = sum(len(archive.evaluations(a.id, canary=True)) for a in agents if a.status == "seed")
    child_checks = sum(len(archive.evaluations(a.id, canary=True)) for a in attempts)
    calls = [c for c in archive.calls(run_id=run.id) if c.error is None]
    if not attempts or not calls:
        raise DgmError("the source run has no finished self-improvement attempt to measure; run at least one generation")

    def per(purpose: str, units: int) -> tuple[float, float]:
        chosen = [c for c in calls if c.purpose == purpose]
        return (sum(c.prompt_tokens for c in chosen) / max(units, 1), sum(c.completion_tokens for c in chosen) / max(units, 1))

    return Figures(
        attempts=len(attempts),
        diagnose=per("diagnose", len(attempts)),
        self_modify=per("self_modify", len(attempts)),
        solve=per("solve", seed_evals + child_evals),
        tasks_per_attempt=child_evals / len(attempts),
        seed_tasks=seed_evals,
        canary=per("canary", seed_checks + child_checks),
        canaries_per_attempt=child_checks / len(attempts),
        seed_canaries=seed_checks,
    )


def estimate(config: RunConfig, figures: Figures, suite_size: int) -> tuple[list[Line], float]:
    """The expected cost line by line, and the worst case (every child evaluated on every task)."""
    model = config.model

    def line(item: str, count: float, tokens: tuple[float, float], model_name: str) -> Line:
        price = model.price(model_name)
        prompt, completion = tokens[0] * count, tokens[1] * count
        return Line(item, count, prompt, completion, (prompt * price.input + completion * price.output) / 1e6)

    attempts = config.loop.generations * config.loop.parents_per_generation
    lines = [
        line("seed evaluation (tasks)", figures.seed_tasks, figures.solve, model.agent_model),
        line("diagnoses", attempts, figures.diagnose, model.diagnosis_model),
        line("self-modifications", attempts, figures.self_modify, model.agent_model),
        line("child evaluations (tasks)", attempts * figures.tasks_per_attempt, figures.solve, model.agent_model),
    ]
    worst_children = line("", attempts * suite_size, figures.solve, model.agent_model).cost_usd
    worst = sum(ln.cost_usd for ln in lines[:3]) + worst_children
    if config.evaluation.cheat_canaries:
        # Measured checks when the source run made some; else the seed's and a sampled share, at a task's tokens.
        measured = figures.seed_canaries or figures.canaries_per_attempt
        per_check = figures.canary if measured else figures.solve
        count = (figures.seed_canaries + attempts * figures.canaries_per_attempt if measured
                 else 1 + attempts * config.evaluation.cheat_canary_rate)
        lines.append(line("cheating-canary checks", count, per_check, model.agent_model))
        worst += line("", 1 + attempts, per_check, model.agent_model).cost_usd  # every agent checked
    return lines, worst
