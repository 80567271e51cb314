"""Synthetic landscapes: what a self-edit does to an agent, and what a task evaluation says of it.

Every agent has a hidden true skill in [0, 1]: the chance it resolves a task. The seed's is
``seed_skill``. A child's skill is its parent's plus a change drawn from a three-part mixture,
clipped to [0, 1]:

    harmful  with share p_harmful:  Normal(harmful_mean, harmful_sd)     (default 60%, N(-0.05, 0.03))
    neutral  with share p_neutral:  Normal(0, neutral_sd)                (default 30%, N(0, 0.01))
    gain     with the rest:         Exponential(mean gain_mean)          (default 10%, mean +0.08)

``inherit_ability``: every agent also has an ability to improve, a factor on the gain share (the seed's
is 1). A child inherits its parent's times exp(Normal(0, ability_sd)), so some lineages become better
improvers than others; the gain share is min(0.9, ability x gain share), the harmful and neutral shares
shrinking in proportion.

A task evaluation is a Bernoulli draw of the skill. ``eval_noise``: each evaluation's probability is
the skill plus Normal(0, eval_noise), clipped to [0, 1] (flaky tests, a model's bad day).
``gate_fail``: the share of children that fail their gate (imports, their own tests) and are
rejected without an evaluation. ``n_tasks``: the suite's size (tasks are exchangeable).

Landscapes by name:
    default    the mixture above
    rare       improvements rare: 3% gains (mean +0.10), 67% harmful, 30% neutral
    inherited  ability to improve inherited: gain share 5%, ability_sd 0.7
    noisy      the default mixture, eval_noise 0.25, and smaller steps (gain mean +0.05)

``calibrate`` fits the mixture to a real run's archive (``dgm simulate --from RUN_DIR``).
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from dgm.errors import DgmError

NEUTRAL_BAND = 0.01  # calibration: a measured change within this of 0 counts as neutral


@dataclass(frozen=True)
class Landscape:
    name: str = "default"
    seed_skill: float = 0.2
    p_harmful: float = 0.6
    harmful_mean: float = -0.05
    harmful_sd: float = 0.03
    p_neutral: float = 0.3
    neutral_sd: float = 0.01
    gain_mean: float = 0.08
    inherit_ability: bool = False
    ability_sd: float = 0.3
    eval_noise: float = 0.0
    gate_fail: float = 0.1
    n_tasks: int = 60

    def __post_init__(self) -> None:
        if not (0 <= self.p_harmful and 0 <= self.p_neutral and self.p_harmful + self.p_neutral <= 1):
            raise DgmError(f"landscape {self.name}: p_harmful and p_neutral must be shares summing to at most 1")
        if not 0 <= self.seed_skill <= 1 or not 0 <= self.gate_fail < 1 or self.n_tasks < 1:
            raise DgmError(f"landscape {self.name}: seed_skill in [0, 1], gate_fail in [0, 1), n_tasks >= 1")
        if self.gain_mean <= 0 or min(self.harmful_sd, self.neutral_sd, self.ability_sd, self.eval_noise) < 0:
            raise DgmError(f"landscape {self.name}: gain_mean must be positive and every sd at least 0")

    @property
    def p_gain(self) -> float:
        return 1.0 - self.p_harmful - self.p_neutral

    def child(self, skill: float, ability: float, rng: random.Random) -> tuple[float, float]:
        """A child's true skill and ability to improve, from its parent's."""
        p_gain = self.p_gain
        if self.inherit_ability:
            ability = ability * math.exp(rng.gauss(0.0, self.ability_sd))
            p_gain = min(0.9, p_gain * ability)
        rest = (1.0 - p_gain) / (self.p_harmful + self.p_neutral) if self.p_harmful + self.p_neutral else 0.0
        draw = rng.random()
        if draw < p_gain:
            change = rng.expovariate(1.0 / self.gain_mean)
        elif draw < p_gain + self.p_harmful * rest:
            change = rng.gauss(self.harmful_mean, self.harmful_sd)
        else:
            change = rng.gauss(0.0, self.neutral_sd)
        return min(1.0, max(0.0, skill + change)), ability

    def solves(self, skill: float, rng: random.Random) -> bool:
        p = skill if not self.eval_noise else min(1.0, max(0.0, skill + rng.gauss(0.0, self.eval_noise)))
        return rng.random() < p

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


LANDSCAPES: dict[str, Landscape] = {
    "default": Landscape(),
    "rare": Landscape(name="rare", p_harmful=0.67, p_neutral=0.30, gain_mean=0.10),
    "inherited": Landscape(name="inherited", p_harmful=0.65, p_neutral=0.30, inherit_ability=True, ability_sd=0.7),
    "noisy": Landscape(name="noisy", eval_noise=0.25, gain_mean=0.05),
}


def landscape(name: str) -> Landscape:
    if name not in LANDSCAPES:
        raise DgmError(f"unknown landscape {name!r}: choose from {', '.join(LANDSCAPES)}")
    return LANDSCAPES[name]


def calibrate(run_dir: Path, db_url: str | None = None, base: Landscape | None = None) -> Landscape:
    """The change distribution measured in a real run: each scored child's score minus its parent's.

    Changes below -NEUTRAL_BAND are harmful (their share, mean and sd), within the band neutral (sd),
    above it gains (share, mean); the seed's skill is the seed's score, gate_fail the share of children
    rejected without a score. A measured change includes each score's evaluation noise (a score on 10
    tasks is +-0.15), so calibrated spreads are wider than the true ones: read them as an upper bound."""
    from archive_db.store import open_run_archive

    archive, run = open_run_archive(run_dir, db_url)
    try:
        agents = archive.agents(run.id)
    finally:
        archive.close()
    scores = {a.id: a.score for a in agents}
    seed = next((a for a in agents if a.parent_id is None), None)
    children = [a for a in agents if a.parent_id is not None and a.status in ("valid", "rejected")]
    changes = [a.score - scores[a.parent_id] for a in children
               if a.score is not None and scores.get(a.parent_id) is not None]
    if seed is None or seed.score is None or len(changes) < 3:
        raise DgmError(f"{run_dir}: too few scored children to calibrate from ({len(changes)}; at least 3 are needed)")
    harmful = [c for c in changes if c < -NEUTRAL_BAND]
    neutral = [c for c in changes if -NEUTRAL_BAND <= c <= NEUTRAL_BAND]
    gains = [c for c in changes if c > NEUTRAL_BAND]
    n = len(changes)
    base = base or Landscape()
    return replace(
        base, name=f"from {run_dir.name}", seed_skill=float(seed.score),
        p_harmful=len(harmful) / n, p_neutral=len(neutral) / n,
        harmful_mean=_mean(harmful, base.harmful_mean), harmful_sd=_sd(harmful, base.harmful_sd),
        neutral_sd=_sd(neutral, base.neutral_sd) if len(neutral) > 1 else base.neutral_sd,
        gain_mean=_mean(gains, base.gain_mean),
        gate_fail=sum(1 for a in children if a.score is None) / len(children))


def _mean(values: list[float], default: float) -> float:
    return sum(values) / len(values) if values else default


def _sd(values: list[float], default: float) -> float:
    if len(values) < 2:
        return default
    m = _mean(values, 0.0)
    return math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1))
