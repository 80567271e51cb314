"""Many seeds of each policy on one landscape, summarised: the task evaluations each needs to reach a
target true skill, and the true skill of what it hands over within the budget (report.json, report.md,
plot.svg), plus the ratio of evaluations one policy needs to reach another's final skill (the evidence)."""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dgm.simulate.engine import Outcome, simulate
from dgm.simulate.landscape import Landscape
from dgm.simulate.svg import line_plot

CURVE_POINTS = 60


@dataclass
class PolicyRuns:
    policy: str
    outcomes: list[Outcome]
    seconds: float

    @property
    def evaluations_per_s(self) -> float:
        return sum(o.evaluations for o in self.outcomes) / self.seconds if self.seconds else 0.0


def run_many(policies: list[str], landscape: Landscape, seeds: list[int], budget: int, **options: Any) -> list[PolicyRuns]:
    runs = []
    for policy in policies:
        started = time.perf_counter()
        outcomes = [simulate(policy, landscape, seed, budget, **options) for seed in seeds]
        runs.append(PolicyRuns(policy, outcomes, time.perf_counter() - started))
    return runs


def quartiles(values: list[float]) -> tuple[float, float, float]:
    """(lower quartile, median, upper quartile); a single value is all three."""
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def skill_at(outcome: Outcome, evaluations: float, start: float) -> float:
    """The true skill of what the run would hand over after ``evaluations`` task evaluations."""
    skill = start
    for n, s in outcome.trace:
        if n > evaluations:
            break
        skill = s
    return skill


def ratio(reference: Outcome, challenger: Outcome, start: float, whole_budget: bool = False) -> tuple[float | None, bool]:
    """Task evaluations after which the reference handed over its final skill (``whole_budget``: all it
    spent, what its user paid for that result), over those the challenger needed to hand over as good
    (> 1: the challenger is cheaper). A challenger that never got there within its budget counts its whole
    budget (a ratio at most this large; the flag says so). None when the reference ended no better than
    ``start`` (the seed's skill): there was no improvement to reach."""
    target = reference.final_skill
    if target <= start + 1e-12:
        return None, False
    spent = reference.evaluations if whole_budget else (reference.evaluations_to(target) or reference.evaluations)
    reached = challenger.evaluations_to(target)
    return spent / max(1, reached if reached is not None else challenger.evaluations), reached is not None


def summarise(runs: list[PolicyRuns], landscape: Landscape, budget: int, target: float) -> dict[str, Any]:
    policies = {}
    for r in runs:
        finals = [o.final_skill for o in r.outcomes]
        reach = [o.evaluations_to(target) for o in r.outcomes]
        reached = sorted(n for n in reach if n is not None)
        grid = [budget * i / CURVE_POINTS for i in range(CURVE_POINTS + 1)]
        curve = []
        for x in grid:
            q1, q2, q3 = quartiles([skill_at(o, x, landscape.seed_skill) for o in r.outcomes])
            curve.append((x, q2, q1, q3))
        policies[r.policy] = {
            "final_skill": dict(zip(("q1", "median", "q3"), quartiles(finals), strict=True)),
            "best_in_tree_median": statistics.median(o.best_in_tree for o in r.outcomes),
            "evaluations_to_target": dict(zip(("q1", "median", "q3"), quartiles([float(n) for n in reached]), strict=True))
            if reached else None,
            "reached_target": len(reached) / len(r.outcomes),
            "attempts_median": statistics.median(o.attempts for o in r.outcomes),
            "evaluations_per_s": round(r.evaluations_per_s),
            "curve": curve,
            "per_seed": [{"seed": o.seed, "final_skill": o.final_skill, "best_in_tree": o.best_in_tree,
                          "evaluations": o.evaluations, "attempts": o.attempts, "evaluations_to_target": n}
                         for o, n in zip(r.outcomes, reach, strict=True)],
        }
    return {"landscape": landscape.to_json(), "budget": budget, "target": target,
            "seeds": len(runs[0].outcomes) if runs else 0, "policies": policies}


def markdown(report: dict[str, Any]) -> str:
    land = report["landscape"]
    lines = [f"# Simulated search: landscape `{land['name']}`", "",
             f"{report['seeds']} seeds per policy, a budget of {report['budget']} task evaluations, target true skill "
             f"{report['target']:.2f} (the seed's: {land['seed_skill']:.2f}). \"Handed over\": the agent the run would "
             "give its user (the policy's pick by recorded score); its *true* skill is shown. Quartiles over seeds.", "",
             "| policy | handed-over true skill (median [q1, q3]) | evaluations to target (median [q1, q3]) | "
             "reached target | best in tree (median) | attempts | evaluations/s |",
             "|---|---|---|---|---|---|---|"]
    for name, p in report["policies"].items():
        f, t = p["final_skill"], p["evaluations_to_target"]
        to_target = f"{t['median']:.0f} [{t['q1']:.0f}, {t['q3']:.0f}]" if t else "never"
        lines.append(f"| {name} | {f['median']:.3f} [{f['q1']:.3f}, {f['q3']:.3f}] | {to_target} | "
                     f"{p['reached_target']:.0%} | {p['best_in_tree_median']:.3f} | {p['attempts_median']:.0f} | "
                     f"{p['evaluations_per_s']} |")
    lines += ["", "Landscape parameters (docs/SIMULATE.md):", "", "```json", json.dumps(land, indent=2), "```",
              "", "![true skill handed over against task evaluations](plot.svg)", ""]
    return "\n".join(lines)


def write(report: dict[str, Any], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    series = {name: p["curve"] for name, p in report["policies"].items()}
    plot = line_plot(series, f"landscape {report['landscape']['name']}: handed-over true skill (median, IQR band)",
                     "task evaluations", "true skill")
    paths = [out / "report.json", out / "report.md", out / "plot.svg"]
    paths[0].write_text(json.dumps(report, indent=1) + "\n")
    paths[1].write_text(markdown(report))
    paths[2].write_text(plot)
    return paths
