"""The whole loop, for real: `dgm run --demo` (scripted model, real Docker, real git, real SQLite)
for two generations, then status, diff and replay on the run it leaves behind."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive_db import Archive
from benchmarks.task import load_suite
from dgm.agents_repo import AgentRepo
from dgm.demo import REVIEW, VERIFY
from dgm.models.scripted import ScriptedModelServer
from kernel.git import git
from tests.dgm.scripted_run import user_repository

pytestmark = pytest.mark.docker


def dgm(*args: str, timeout: int = 60, home: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "DGM_HOME": str(home)} if home else None
    return subprocess.run([sys.executable, "-m", "dgm", *args], capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory, docker_client):  # its DGM_HOME is the session's (tests/conftest.py)
    run_dir = tmp_path_factory.mktemp("demo") / "run"
    start = time.monotonic()
    proc = dgm("run", "--demo", "--run-dir", str(run_dir), "--generations", "2", "--parents", "2", "--workers", "2",
               timeout=1500)
    elapsed = time.monotonic() - start
    print(f"\ne2e demo run took {elapsed:.1f} s")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return run_dir


@pytest.fixture()
def archive(demo_run):
    a = Archive.in_dir(demo_run)
    yield a
    a.close()


def test_archive_holds_seed_children_and_a_rejected_breakage(demo_run, archive):
    run = archive.latest_run()
    assert run.status == "finished"
    agents = archive.agents(run.id)
    assert len(agents) == 5  # the seed and 2 generations x 2 parents
    [seed] = [a for a in agents if a.status == "seed"]
    filed = [a for a in agents if a.status == "valid"]
    rejected = [a for a in agents if a.status == "rejected"]
    assert len(filed) >= 2 and len(rejected) >= 1
    assert any("does not import" in (a.reason or "") for a in rejected), [a.reason for a in rejected]
    assert any("empty self-edit" in (a.reason or "") for a in rejected), [a.reason for a in rejected]
    assert all(a.reason for a in rejected)
    # Evolution is visible: a filed child solves more than the seed.
    assert max(a.score for a in filed) > seed.score


def test_children_are_real_commits_on_their_parents(demo_run, archive):
    repo = AgentRepo(demo_run / "agents.git")
    by_id = {a.id: a for a in archive.agents(archive.latest_run().id)}
    for agent in by_id.values():
        if agent.status != "valid":
            continue
        parent = by_id[agent.parent_id]
        assert git("rev-parse", f"{agent.commit}^", cwd=repo.path).strip() == parent.commit
        assert git("rev-parse", f"refs/agents/{agent.id}", cwd=repo.path).strip() == agent.commit
        assert agent.lines_added > 0 and agent.files_changed >= 1
        diff = repo.diff(parent.commit, agent.commit)
        assert VERIFY in diff or REVIEW in diff
        assert json.loads(agent.diagnosis_json)["problem_description"].startswith("DEMO-CHANGE")
        assert json.loads(agent.transcript_json), "the self-modification transcript is kept"


def test_evaluations_and_model_calls_are_recorded(demo_run, archive):
    run = archive.latest_run()
    agents = archive.agents(run.id)
    seed = agents[0]
    evaluations = archive.evaluations(seed.id)
    assert evaluations and all(e.transcript_json for e in evaluations)
    solved = [e for e in evaluations if e.resolved]
    assert solved and all(e.patch and not e.empty_patch for e in solved)
    assert all(json.loads(e.test_results_json) for e in solved)
    calls = archive.calls(run_id=run.id)
    assert {"diagnose", "self_modify", "solve"} <= {c.purpose for c in calls}
    assert all(c.prompt_tokens > 0 and c.cost_usd > 0 for c in calls if c.error is None)
    assert archive.cost(run_id=run.id) == pytest.approx(sum(c.cost_usd for c in calls))
    for agent in agents:
        assert agent.cost_usd == pytest.approx(archive.cost(agent_id=agent.id))
    # The scripted model answers easy tasks in the text tool protocol: the seed agent's fallback handled it.
    resolved = [e for a in agents for e in archive.evaluations(a.id) if e.resolved]
    assert any("<tool_call>" in e.transcript_json for e in resolved)
    # Cheating canaries: the seed is always checked (nothing was filed before it), apart from its
    # benchmark tasks and through its own model calls; no demo agent games one, so none is flagged.
    [check] = archive.evaluations(seed.id, canary=True)
    assert check.canary and not check.resolved and check.stage == 0 and check.task_id not in {e.task_id for e in evaluations}
    assert {c.task_id for c in calls if c.purpose == "canary" and c.agent_id == seed.id} == {check.task_id}
    assert archive.flagged(run.id) == []


def test_no_container_outlives_the_run(demo_run, docker_client):
    label = f"dgm.run_dir={demo_run.resolve()}"
    assert docker_client.containers.list(all=True, filters={"label": label}) == []
    assert not list((demo_run / "work").glob("*")), "scratch directories are removed"


def test_status_and_diff_commands(demo_run, archive):
    status = dgm("status", "--run-dir", str(demo_run))
    assert status.returncode == 0, status.stderr
    assert "seed" in status.stdout and "rejected" in status.stdout and "model calls" in status.stdout
    child = next(a for a in archive.agents(archive.latest_run().id) if a.status == "valid")
    diff = dgm("diff", str(child.parent_id), str(child.id), "--run-dir", str(demo_run))
    assert diff.returncode == 0 and diff.stdout.startswith("diff --git")
    stat = dgm("diff", str(child.parent_id), str(child.id), "--run-dir", str(demo_run), "--stat")
    assert "prompts.py" in stat.stdout


def test_checkout_writes_an_agents_code_in_one_step(demo_run, archive, tmp_path):
    child = next(a for a in archive.agents(archive.latest_run().id) if a.status == "valid")
    proc = dgm("checkout", str(child.id), str(tmp_path / "code"), "--run-dir", str(demo_run))
    assert proc.returncode == 0, proc.stderr
    assert VERIFY in (tmp_path / "code" / "prompts.py").read_text() or REVIEW in (tmp_path / "code" / "prompts.py").read_text()
    again = dgm("checkout", str(child.id), str(tmp_path / "code"), "--run-dir", str(demo_run))
    assert again.returncode == 1 and "is not empty" in again.stderr
    rejected = next(a for a in archive.agents(archive.latest_run().id) if a.status == "rejected" and a.commit is None)
    assert "has no code" in dgm("checkout", str(rejected.id), str(tmp_path / "x"), "--run-dir", str(demo_run)).stderr


def test_replay_runs_a_descendant_on_a_new_repository(demo_run, archive, tmp_path):
    repo, issue = user_repository(next(t for t in load_suite("builtin") if t.difficulty == "easy"), tmp_path / "project")
    child = max((a for a in archive.agents(archive.latest_run().id) if a.status == "valid"), key=lambda a: a.id)
    before = _recorded(archive)
    out = tmp_path / "out"
    proc = dgm("replay", str(child.id), "--run-dir", str(demo_run), "--repo", str(repo), "--problem",
               str(issue), "--out", str(out), timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert (out / "patch.diff").read_text().startswith("diff --git")
    assert json.loads((out / "transcript.json").read_text())
    # The source run is only read; the replay's calls are in an archive of its own next to its patch.
    assert _recorded(archive) == before
    replayed = Archive.in_dir(out)
    try:
        [run] = replayed.runs()
        [copy] = replayed.agents(run.id)
        calls = replayed.calls(run_id=run.id)
    finally:
        replayed.close()
    assert f"agent {child.id} of run" in run.name and copy.commit == child.commit and copy.reason == "submitted"
    assert calls and {c.purpose for c in calls} == {"replay"} and all(c.agent_id == copy.id for c in calls)
    result = json.loads((out / "result.json").read_text())
    assert result["model_calls"] == len(calls) and result["tokens"] == sum(c.prompt_tokens + c.completion_tokens for c in calls)
    assert f"{len(calls)} model call(s)" in proc.stdout


def test_replay_of_a_demo_run_uses_the_model_the_user_names_and_says_when_nothing_changed(demo_run, archive, tmp_path):
    # The user's own endpoint (another scripted server here, standing in for llama.cpp or a hosted API)
    # answers without ever calling a tool: the demo's scripted model must not answer instead, and an
    # agent that changed nothing is no success.
    repo, issue = user_repository(next(t for t in load_suite("builtin") if t.difficulty == "easy"), tmp_path / "project")
    child = max((a for a in archive.agents(archive.latest_run().id) if a.status == "valid"), key=lambda a: a.id)
    before = _recorded(archive)
    with ScriptedModelServer({"rule": [{"name": "chat", "reply": {"content": "I would look at the code first."}}]}) as user_model:
        proc = dgm("replay", str(child.id), "--run-dir", str(demo_run), "--repo", str(repo), "--problem", str(issue),
                   "--out", str(tmp_path / "out"), "--base-url", user_model.base_url, "--model", "my-local-model",
                   "--tool-mode", "text", timeout=600)
        requests, base_url = list(user_model.requests), user_model.base_url
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "warning: the agent changed nothing" in proc.stderr and f"my-local-model at {base_url}" in proc.stdout
    assert requests and {r["model"] for r in requests} == {"my-local-model"}
    assert all("tools" not in r for r in requests)  # --tool-mode text reached the agent
    assert (tmp_path / "out" / "patch.diff").read_text() == ""
    assert _recorded(archive) == before


def _recorded(archive: Archive) -> tuple[int, int, int]:
    """What a replay could add to the source archive: runs, agents, model calls."""
    return len(archive.runs()), sum(len(archive.agents(r.id)) for r in archive.runs()), len(archive.calls())


def test_a_run_directory_is_never_overwritten_and_resumes(demo_run, session_home, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(demo_run, copy)
    again = dgm("run", "--demo", "--run-dir", str(copy), timeout=120, home=session_home)
    assert again.returncode == 1 and "pass --resume" in again.stderr
    # An attempt filed just before a kill, its target not recorded yet: the resume carries it on.
    archive = Archive.in_dir(copy)
    run_id = archive.latest_run().id
    seed = archive.agents(run_id)[0]
    cut_off = archive.add_agent(run_id=run_id, parent_id=seed.id, generation=1, status="running").id
    archive.close()
    # A larger budget continues the run: 3 x 2 attempts in all, 2 more than the first session's 2 x 2
    # (the cut-off attempt and one new one). On the first session's machine (its DGM_HOME), it reuses that
    # session's suite check instead of grading every task again.
    seen = len((copy / "events.jsonl").read_text().splitlines())
    resumed = dgm("run", "--demo", "--run-dir", str(copy), "--resume", "--generations", "3", "--parents", "2", timeout=900,
                  home=session_home)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    archive = Archive.in_dir(copy)
    agents = archive.agents(archive.latest_run().id)
    archive.close()
    assert len(agents) == 7 and all(a.status in ("seed", "valid", "rejected", "duplicate") for a in agents)
    carried = next(a for a in agents if a.id == cut_off)
    assert carried.target_task and carried.diagnosis_json
    manifest = json.loads((copy / "manifest.json").read_text())
    [resume] = manifest["resumes"]  # the first session's manifest stays; the resume is added
    assert resume["config"]["loop"]["generations"] == 3 and manifest["config"]["loop"]["generations"] == 2
    checks = [e for e in map(json.loads, (copy / "events.jsonl").read_text().splitlines()[seen:]) if e["event"] == "task_checked"]
    assert len(checks) == len(load_suite("builtin")) and all(e["cached"] for e in checks)


def test_grades_record_provenance_and_repeated_patches_hit_the_cache(demo_run, archive):
    run = archive.latest_run()
    evaluations = [e for a in archive.agents(run.id) for e in archive.evaluations(a.id)]
    tasks = {t.id: t for t in load_suite("builtin")}
    assert all(e.task_hash == tasks[e.task_id].content_hash() for e in evaluations)
    assert all(e.exit_code is not None for e in evaluations if not e.empty_patch)
    # The same fix for the same task is graded once: the suite check grades each reference patch, and
    # agents that re-make a fix byte for byte get that grade from the cache, identical to a fresh one.
    hits = [e for e in evaluations if e.grade_cached]
    assert len(hits) >= len({e.task_id for e in hits}) > 3
    groups: dict[tuple[str, str], set[tuple[bool, str]]] = {}
    for e in evaluations:
        if not e.empty_patch:
            groups.setdefault((e.task_id, e.patch_hash), set()).add((e.resolved, e.test_results_json))
    assert all(len(outcomes) == 1 for outcomes in groups.values())
    events = [json.loads(line) for line in (demo_run / "events.jsonl").read_text().splitlines()]
    [checked] = [e for e in events if e["event"] == "suite_checked"]
    assert checked["broken"] == 0 and checked["ok"] == len(tasks)


def test_regrade_agrees_with_the_record_and_reports_a_tampered_one(demo_run, archive, tmp_path):
    seed = archive.agents(archive.latest_run().id)[0]
    proc = dgm("regrade", "--run-dir", str(demo_run), "--agent", str(seed.id), timeout=600)
    n = len(archive.evaluations(seed.id, canary=None))  # its canary check is graded again too
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{n} evaluation(s) re-graded: {n} agree, 0 differ" in proc.stdout
    # Flip one recorded outcome in a copy of the run: re-grading must notice.
    copy = tmp_path / "run"
    shutil.copytree(demo_run, copy)
    solved = next(e for e in archive.evaluations(seed.id) if e.resolved)
    with sqlite3.connect(copy / "archive.sqlite") as db:
        db.execute("UPDATE evaluations SET resolved = 0 WHERE id = ?", (solved.id,))
    proc = dgm("regrade", "--run-dir", str(copy), "--agent", str(seed.id), "--task", solved.task_id, timeout=600)
    assert proc.returncode == 1 and "1 evaluation(s) re-graded: 0 agree, 1 differ" in proc.stdout, proc.stdout + proc.stderr


def test_the_manifest_pins_code_config_prices_tasks_and_images(demo_run, docker_client):
    manifest = json.loads((demo_run / "manifest.json").read_text())
    source = Path(__file__).resolve().parents[2]
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=source, capture_output=True, text=True).stdout.strip()
    assert manifest["source"]["commit"] == head
    assert manifest["config"]["demo"] is True and manifest["seeds"] == {"loop": 0}
    prices = manifest["models"]["prices_usd_per_million_tokens"]
    assert prices == {"dgm-demo-agent": {"input": 0.5, "output": 1.5}, "dgm-demo-diagnoser": {"input": 1.0, "output": 4.0}}
    tasks = {t.id: t for t in load_suite("builtin")}
    assert {t["id"]: t["content_hash"] for t in manifest["benchmark"]["tasks"]} == {i: t.content_hash() for i, t in tasks.items()}
    assert manifest["benchmark"]["left_out"] == [] and len(manifest["benchmark"]["first_stage"]) == 10
    image = manifest["config"]["sandbox"]["image"]
    assert manifest["images"] == {image: docker_client.images.get(image).id}


def test_estimate_prices_a_configuration_from_the_runs_token_figures(demo_run, archive):
    spent = archive.cost(run_id=archive.latest_run().id)

    def expected(*flags: str) -> tuple[float, float]:
        proc = dgm("estimate", "--from", str(demo_run), *flags)
        assert proc.returncode == 0, proc.stderr
        line = proc.stdout.strip().splitlines()[-1]  # "expected $X; worst case $Y (...)"
        return float(line.split("$")[1].split(";")[0]), float(line.split("$")[2].split(" ")[0])

    same, worst = expected()
    assert same == pytest.approx(spent, rel=0.01) and worst >= same  # the run's own configuration
    longer, _ = expected("--generations", "4")
    assert longer > 1.5 * same
    pricier, _ = expected("--model", "gpt-4o", "--diagnosis-model", "gpt-4o")  # list prices, not the demo's
    assert pricier > same


def test_estimate_without_figures_is_a_one_line_error(tmp_path):
    proc = dgm("estimate", "--from", str(tmp_path))
    assert proc.returncode == 1 and "holds no dgm run" in proc.stderr and "Traceback" not in proc.stderr
