"""`dgm simulate` (dgm/simulate/): the landscape's change mixture, a run applying the policy's work to a
RunState as the coordinator does, determinism per seed, the report files, calibration from an archive,
and bad options as one line."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from archive_db import Archive
from dgm.cli import main
from dgm.errors import DgmError
from dgm.simulate import LANDSCAPES, Landscape, Simulation, calibrate, simulate
from dgm.simulate.engine import sim_config
from dgm.simulate.report import ratio


def dgm(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dgm", *args], capture_output=True, text=True, timeout=120, env=os.environ)


def test_the_change_mixture_has_its_documented_shares():
    land, rng = Landscape(gain_mean=0.08), random.Random(1)
    changes = [land.child(0.5, 1.0, rng)[0] - 0.5 for _ in range(20_000)]
    gains = [c for c in changes if c > 0.03]
    harmful = [c for c in changes if c < -0.03]
    assert 0.07 < len(gains) / len(changes) < 0.11  # 10% gains, most of them above 0.03
    assert 0.40 < len(harmful) / len(changes) < 0.60  # 60% harmful ~ N(-0.05, 0.03): three quarters below -0.03
    assert abs(sum(changes) / len(changes) - (-0.6 * 0.05 + 0.1 * 0.08)) < 0.005
    assert all(0 <= land.child(s, 1.0, rng)[0] <= 1 for s in (0.0, 1.0) for _ in range(200))


def test_an_inherited_ability_to_improve_drifts_and_scales_the_gains():
    land, rng = LANDSCAPES["inherited"], random.Random(2)
    abilities = [land.child(0.3, 1.0, rng)[1] for _ in range(500)]
    assert min(abilities) < 0.5 < 2.0 < max(abilities)
    able = [land.child(0.3, 8.0, rng)[0] > 0.31 for _ in range(2000)]
    unable = [land.child(0.3, 0.1, rng)[0] > 0.31 for _ in range(2000)]
    assert sum(able) > 3 * sum(unable)


@pytest.mark.parametrize("policy", ["dgm", "hgm", "greedy", "random", "latest"])
def test_a_run_leaves_the_state_the_coordinator_would(policy):
    sim = Simulation(sim_config(policy, 3, 400), LANDSCAPES["default"], keep_decisions=True)
    outcome = sim.run()
    state = sim.state
    assert outcome.evaluations == sum(len(a.evaluations) for a in state.agents.values()) <= 400
    assert not state.in_flight and state.attempts == len(state.agents) - 1 == outcome.attempts
    seed = state.seed
    assert seed.status == "seed" and seed.settled and seed.score is not None
    for agent in state.agents.values():
        if agent.parent_id is not None:
            assert agent.generation == state.agents[agent.parent_id].generation + 1
        if not agent.validated:  # failed its gate: rejected, no commit, never evaluated
            assert agent.status == "rejected" and agent.settled and agent.commit is None and not agent.evaluations
        elif agent.settled and agent.status in ("seed", "valid"):
            assert agent.commit and agent.score is not None
            n = len(agent.evaluations)
            resolved = sum(v.resolved for v in agent.evaluations.values())
            assert agent.score == pytest.approx(resolved / n)  # the score covers every result it has
    assert outcome.decisions and all(d.kind in ("evaluate", "expand", "settle", "resume", "canary") for d in outcome.decisions)
    assert outcome.trace[0][1] == LANDSCAPES["default"].seed_skill  # the seed is handed over first


def test_hgm_keeps_evaluating_settled_agents_and_their_scores_follow():
    sim = Simulation(sim_config("hgm", 5, 600), LANDSCAPES["default"])
    sim.run()
    settled_children = [a for a in sim.state.agents.values() if a.parent_id and a.status == "valid"]
    assert settled_children and max(len(a.evaluations) for a in settled_children) > 5


def test_a_run_is_determined_by_its_seed():
    land = LANDSCAPES["noisy"]
    one, two, other = (simulate("hgm", land, s, 500).trace for s in (7, 7, 8))
    assert one == two and one != other
    assert simulate("dgm", land, 7, 500).trace == simulate("dgm", land, 7, 500).trace


def test_several_workers_in_flight_still_respect_the_budget():
    outcome = simulate("hgm", LANDSCAPES["default"], 1, 300, workers=4)
    assert outcome.evaluations == 300
    assert simulate("dgm", LANDSCAPES["default"], 1, 300, workers=4).evaluations == 300


def test_the_ratio_counts_evaluations_to_reach_the_reference_and_skips_no_gain():
    reference = simulate("dgm", LANDSCAPES["default"], 0, 600)
    same = ratio(reference, reference, LANDSCAPES["default"].seed_skill)
    assert same == (1.0, True) or same == (None, False)
    assert ratio(reference, reference, 1.0) == (None, False)


def test_calibration_reads_children_minus_parents_from_an_archive(tmp_path):
    archive = Archive.in_dir(tmp_path)
    run = archive.create_run("r", "{}", "0")
    seed = archive.add_agent(run_id=run.id, generation=0, status="seed", score=0.3)
    for score in (0.1, 0.2, 0.3, 0.5, 0.25):
        archive.add_agent(run_id=run.id, parent_id=seed.id, generation=1, status="valid", score=score)
    archive.add_agent(run_id=run.id, parent_id=seed.id, generation=1, status="rejected", score=None)
    archive.close()
    land = calibrate(tmp_path)
    assert land.seed_skill == 0.3 and land.p_harmful == pytest.approx(3 / 5) and land.p_neutral == pytest.approx(1 / 5)
    assert land.gain_mean == pytest.approx(0.2) and land.harmful_mean == pytest.approx(-0.35 / 3)
    assert land.gate_fail == pytest.approx(1 / 6)
    few = Archive.in_dir(tmp_path / "few")
    seed = few.add_agent(run_id=few.create_run("r", "{}", "0").id, generation=0, status="seed", score=0.3)
    few.add_agent(run_id=seed.run_id, parent_id=seed.id, generation=1, status="valid", score=0.4)
    few.close()
    with pytest.raises(DgmError, match="too few scored children"):
        calibrate(tmp_path / "few")


def test_the_cli_writes_the_report_the_table_and_the_plot(tmp_path):
    archive = Archive.in_dir(tmp_path / "run")
    run = archive.create_run("r", "{}", "0")
    seed = archive.add_agent(run_id=run.id, generation=0, status="seed", score=0.2)
    for score in (0.1, 0.15, 0.2, 0.4):
        archive.add_agent(run_id=run.id, parent_id=seed.id, generation=1, status="valid", score=score)
    archive.close()
    out = tmp_path / "out"
    proc = dgm("simulate", "--policy", "dgm,hgm", "--seeds", "2", "--budget", "200", "--tasks", "30",
               "--from", str(tmp_path / "run"), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "hgm" in proc.stdout and "evals to target" in proc.stdout
    report = json.loads((out / "report.json").read_text())
    assert set(report["policies"]) == {"dgm", "hgm"} and report["seeds"] == 2
    assert report["landscape"]["name"] == "from run" and report["landscape"]["n_tasks"] == 30
    assert len(report["policies"]["hgm"]["per_seed"]) == 2
    assert "| hgm |" in (out / "report.md").read_text()
    svg = ET.fromstring((out / "plot.svg").read_text())
    assert svg.tag.endswith("svg") and len(svg.findall("{http://www.w3.org/2000/svg}polyline")) == 2


@pytest.mark.parametrize(("args", "message"), [
    (["--policy", "dgm,best"], "error: unknown policy best: choose from dgm, hgm, greedy, random, latest"),
    (["--landscape", "flat"], "error: unknown landscape 'flat': choose from default, rare, inherited, noisy"),
    (["--seeds", "0"], "error: --seeds, --budget and --workers must be at least 1"),
    (["--stages", "10,5"], "error: --stages '10,5': positive and strictly increasing"),
])
def test_a_bad_option_is_one_line_and_exit_1(args, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["simulate", *args])
    err = capsys.readouterr().err
    assert exit_.value.code == 1 and [ln for ln in err.splitlines() if ln.strip()] == [message]


def test_without_the_cool_down_hgm_decides_alike_whatever_its_budget():
    """The evidence script reads hgm's pick at dgm's budget off a run with twice the budget."""
    short, long = (simulate("hgm", LANDSCAPES["default"], 4, budget) for budget in (300, 600))
    assert [p for p in long.trace if p[0] <= 295] == [p for p in short.trace if p[0] <= 295]


def test_from_a_seed_that_solves_nothing_hgm_still_grows_the_tree():
    outcome = simulate("hgm", Landscape(name="zero", seed_skill=0.0, gain_mean=0.1), 1, 300)
    assert outcome.evaluations == 300 and outcome.attempts > 30 and outcome.best_in_tree > 0


def test_a_run_with_an_unknown_policy_is_one_line_and_makes_nothing(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "dgm", "run", "--policy", "hmg", "--run-dir", str(tmp_path / "run")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and proc.stderr.count("\n") == 1, proc.stderr
    assert "hmg" in proc.stderr and "hgm" in proc.stderr  # what was given, and what may be
    assert not (tmp_path / "run").exists()
