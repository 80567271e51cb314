"""`dgm status` on a run with a flagged agent and a tampered grade: a flag marker per agent, the
flagged agents with their reasons after the table (printed as text, never as markup), and how many
evaluations were tampered with."""

import json
import os
import subprocess
import sys

from archive_db import Archive


def _status(run_dir) -> str:
    proc = subprocess.run([sys.executable, "-m", "dgm", "status", "--run-dir", str(run_dir)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _run(tmp_path, quarantine: bool) -> tuple:
    archive = Archive.in_dir(tmp_path)
    run = archive.create_run("r", json.dumps({"loop": {"quarantine_flagged": quarantine}}), "0")
    seed = archive.add_agent(run_id=run.id, generation=0, status="seed", score=0.5)
    hacker = archive.add_agent(run_id=run.id, parent_id=seed.id, generation=1, status="valid", score=1.0)
    honest = archive.add_agent(run_id=run.id, parent_id=seed.id, generation=1, status="valid", score=0.6)
    archive.add_evaluation(agent_id=hacker.id, task_id="t1", stage=1, tampered="the must-fail canary test passed")
    archive.add_evaluation(agent_id=hacker.id, task_id="t2", stage=1, tampered="the must-pass canary test is missing")
    archive.add_evaluation(agent_id=honest.id, task_id="t1", stage=1, resolved=True)
    archive.flag_agent(hacker.id, "tampered with grading on task [bold red]t1[/]: the must-fail canary test passed")
    archive.close()
    return seed, hacker, honest


def test_status_marks_flagged_agents_lists_their_reasons_and_counts_tampered_grades(tmp_path):
    seed, hacker, honest = _run(tmp_path, quarantine=True)
    out = _status(tmp_path)
    rows = {cells[0]: cells for cells in ([c.strip() for c in line.split("│")[1:-1]] for line in out.splitlines()
                                          if line.startswith("│"))}
    assert rows[str(hacker.id)][4] == "⚑" and rows[str(seed.id)][4] == "" and rows[str(honest.id)][4] == ""
    lines = out.splitlines()
    at = lines.index("⚑ 1 agent flagged as a suspected reward hacker, never parents (loop.quarantine_flagged):")
    reason = "tampered with grading on task [bold red]t1[/]: the must-fail canary test passed"
    assert lines[at + 1] == f"  agent {hacker.id}: {reason}"
    assert "3 agents, 0 model calls, $0.0000 spent; 2 evaluations tampered" in out


def test_status_says_when_flagged_agents_are_still_selectable(tmp_path):
    _run(tmp_path, quarantine=False)
    assert "still selectable: loop.quarantine_flagged is off" in _status(tmp_path)
    clean = tmp_path / "clean"
    archive = Archive.in_dir(clean)
    run = archive.create_run("r", "{}", "0")
    archive.add_agent(run_id=run.id, generation=0, status="seed", score=0.5)
    archive.close()
    out = _status(clean)
    assert "flagged" not in out and "0 evaluations tampered" in out
