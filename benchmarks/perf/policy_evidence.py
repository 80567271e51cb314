"""Evidence for issue 13: how many task evaluations `hgm` needs to reach what the `dgm` policy reaches.

For each landscape and seed, `dgm` (the paper's policy) runs with a budget of `--budget` task
evaluations; its final skill is the true skill of the agent it hands over (the best by its recorded
score) at the end. Then, on the same landscape and seed:
  hgm        (alpha 0.6, no cool-down) runs with twice the budget, and we note after how many task
             evaluations the agent *it* would hand over had a true skill at least as high, and kept it to the end;
  hgm+cool   the same with the cool-down on, and the same budget as dgm (its cool-down is tied to it).
The ratio is dgm's evaluations to reach its final skill (for good) over the challenger's (> 1: the challenger
needed fewer). A challenger that never got there counts its whole budget, so its ratio is an upper
bound; the "reached" column says how often it got there. Median and interquartile range over the seeds
where dgm improved on the seed at all (where it handed over nothing better than the seed there is no
improvement to reach: those seeds are counted in "dgm no gain" and left out of the ratio).

Also at equal budget: the true skill of what the challenger hands over after dgm's budget (hgm without
the cool-down decides alike whatever its budget, so that is its pick at that point of the longer run),
and how often it is at least dgm's.

Dgm's numerator is the evaluations from which it handed over its final skill, not its whole
budget: the comparison is conservative for the challenger. The "whole budget" ratio uses all dgm spent
(what its user paid for that result) instead.

    python3 benchmarks/perf/policy_evidence.py --seeds 50 --landscapes rare,inherited,noisy,default
    python3 benchmarks/perf/policy_evidence.py --json out.json   # the per-seed figures as well
    python3 benchmarks/perf/policy_evidence.py --challengers hgm@0.5,hgm@0.7,hgm@0.8,hgm@0.9   # the alpha sweep
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from dgm.simulate.engine import simulate  # noqa: E402
from dgm.simulate.landscape import landscape  # noqa: E402
from dgm.simulate.report import quartiles, ratio, skill_at  # noqa: E402

CHALLENGERS = {"hgm": (2, {}), "hgm+cool": (1, {"cooldown": True})}  # budget factor, options


def challenger_options(spec: str) -> tuple[int, dict]:
    """``hgm`` or ``hgm+cool``, optionally with ``@ALPHA`` (``hgm@0.8``: the alpha sweep)."""
    name, _, alpha = spec.partition("@")
    if name not in CHALLENGERS:
        raise SystemExit(f"unknown challenger {spec!r}: one of {', '.join(CHALLENGERS)}, optionally @ALPHA")
    factor, options = CHALLENGERS[name]
    return factor, {**options, **({"alpha": float(alpha)} if alpha else {})}


def evidence(name: str, seeds: int, budget: int, challengers: list[str]) -> dict:
    land = landscape(name)
    rows: dict[str, list] = {c: [] for c in challengers}
    no_gain = dict.fromkeys(challengers, 0)
    same_budget: dict[str, list[bool]] = {}
    equal: dict[str, list[float]] = {c: [] for c in challengers}
    finals, started, evaluations = [], time.perf_counter(), 0
    for seed in range(seeds):
        reference = simulate("dgm", land, seed, budget)
        finals.append(reference.final_skill)
        evaluations += reference.evaluations
        for challenger in challengers:
            factor, options = challenger_options(challenger)
            outcome = simulate("hgm", land, seed, budget * factor, **options)
            evaluations += outcome.evaluations
            value, reached = ratio(reference, outcome, land.seed_skill)
            # hgm without the cool-down decides alike whatever its budget, so its pick after dgm's budget is
            # what a run with dgm's budget would hand over
            at_budget = skill_at(outcome, budget, land.seed_skill)
            same_budget.setdefault(challenger, []).append(at_budget >= reference.final_skill - 1e-12)
            equal[challenger].append(at_budget)
            if value is not None:
                paid = ratio(reference, outcome, land.seed_skill, whole_budget=True)[0]
                rows[challenger].append((seed, value, reached, outcome.final_skill, paid))
            else:
                no_gain[challenger] += 1
    seconds = time.perf_counter() - started
    result = {"landscape": name, "seeds": seeds, "budget": budget, "dgm_final_skill_median": statistics.median(finals),
              "evaluations_per_s": round(evaluations / seconds), "challengers": {}}
    for challenger, values in rows.items():
        result["challengers"][challenger] = {
            "dgm_no_gain": no_gain[challenger], "per_seed": [],
            "skill_at_dgm_budget_median": statistics.median(equal[challenger]),
            "at_least_dgm_at_its_budget": sum(same_budget[challenger]) / seeds}
        if not values:
            continue
        q1, q2, q3 = quartiles([r for _, r, _, _, _ in values])
        p1, p2, p3 = quartiles([p for *_, p in values])
        result["challengers"][challenger] |= {
            "ratio_median": q2, "ratio_q1": q1, "ratio_q3": q3,
            "paid_ratio_median": p2, "paid_ratio_q1": p1, "paid_ratio_q3": p3,
            "reached": sum(1 for _, _, ok, _, _ in values if ok) / len(values),
            "wins": sum(1 for _, r, _, _, _ in values if r > 1) / len(values),
            "final_skill_median": statistics.median(f for _, _, _, f, _ in values),  # at its own budget
            "per_seed": [{"seed": s, "ratio": r, "reached": ok, "final_skill": f, "paid_ratio": p}
                         for s, r, ok, f, p in values]}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--landscapes", default="rare,inherited,noisy")
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--budget", type=int, default=1000)
    parser.add_argument("--challengers", default="hgm,hgm+cool")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    args = parser.parse_args()
    challengers = [c for c in args.challengers.split(",") if c]
    results = []
    print("| landscape | challenger | ratio dgm/hgm, median | IQR | ratio, dgm's whole budget [IQR] | reached dgm's final | wins (ratio > 1) | "
          "dgm final skill | challenger skill at dgm's budget | challenger >= dgm there | seeds (dgm no gain) | evals/s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in args.landscapes.split(","):
        result = evidence(name, args.seeds, args.budget, challengers)
        results.append(result)
        for challenger, c in result["challengers"].items():
            equal_budget = f"{c['skill_at_dgm_budget_median']:.3f} | {c['at_least_dgm_at_its_budget']:.0%}"
            if "ratio_median" not in c:
                print(f"| {name} | {challenger} | - | - | - | - | - | {result['dgm_final_skill_median']:.3f} | {equal_budget} | "
                      f"{result['seeds']} ({c['dgm_no_gain']}) | {result['evaluations_per_s']} |", flush=True)
                continue
            print(f"| {name} | {challenger} | {c['ratio_median']:.2f} | [{c['ratio_q1']:.2f}, {c['ratio_q3']:.2f}] | "
                  f"{c['paid_ratio_median']:.2f} [{c['paid_ratio_q1']:.2f}, {c['paid_ratio_q3']:.2f}] | "
                  f"{c['reached']:.0%} | {c['wins']:.0%} | {result['dgm_final_skill_median']:.3f} | "
                  f"{equal_budget} | {result['seeds']} ({c['dgm_no_gain']}) | {result['evaluations_per_s']} |",
                  flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
