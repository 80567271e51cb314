"""`dgm export`: an agent of a run as a folder that runs without dgm. The run is built by hand (no
Docker, no model); the export goes through the real CLI; then the exported agent runs outside Docker
against the scripted OpenAI-compatible server, by the very command its README gives."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from archive_db import Archive
from dgm.agents_repo import SEED_DIR, AgentRepo
from dgm.config import RunConfig
from dgm.models.scripted import ScriptedModelServer
from kernel.git import git, git_bytes
from kernel.trees import copy_tree

KEY_VAR = "DGM_EXPORT_TEST_KEY"
SECRET_KEY = "sk-export-test-9f8e7d6c5b4a"
URL_PASSWORD = "pw-in-url-4711"  # written into the run's base URL: the export must drop it
PUBLIC_URL = "http://models.example:8080/v1"
AGENT_MODEL = "agent-model-x"
MARK = "# evolved by agent c\n"
GHOST = "f" * 40  # a commit agents.git lacks
FILES = {"agent", "manifest.json", "README.md", "run.sh"}
# The scripted model: fix calc.py with the editor on the first turn, then say it is done.
SCRIPT = {"rule": [
    {"name": "fix", "match": {"turn": 0}, "reply": {"tool_calls": [{"name": "editor", "arguments": {
        "command": "str_replace", "path": "calc.py", "old_str": "return a - b", "new_str": "return a + b"}}]}},
    {"name": "done", "match": {"turn": [1, 50]}, "reply": {"content": "Fixed: add() adds now."}},
]}


def dgm(*args: Any, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dgm", *map(str, args)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def one_error_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode != 0, proc.stdout
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


def _commit_edit(repo: AgentRepo, parent: str, work: Path, edit) -> str:
    edit(work)
    return repo.commit_tree(work, parent, "self-edit")


@pytest.fixture
def run(tmp_path: Path) -> dict[str, Any]:
    """seed -> a -> c (valid, 2/2), seed -> r (rejected before a commit), seed -> ghost (a commit that
    agents.git lacks); c's code is the seed's with a new file (a's edit) and a line added (c's)."""
    run_dir = tmp_path / "run"
    config = RunConfig(name="export-test", model={
        "base_url": f"http://alice:{URL_PASSWORD}@models.example:8080/v1?token={URL_PASSWORD}",
        "agent_model": AGENT_MODEL, "diagnosis_model": "diagnosis-model-y", "api_key_env": KEY_VAR},
        loop={"policy": "hgm"})
    repo = AgentRepo(run_dir / "agents.git")
    work = tmp_path / "code"
    copy_tree(SEED_DIR, work)
    seed_commit = repo.add_seed()
    a_commit = _commit_edit(repo, seed_commit, work, lambda w: (w / "NOTES.md").write_text("a's note\n"))
    c_commit = _commit_edit(repo, a_commit, work, lambda w: (w / "tools.py").write_text((w / "tools.py").read_text() + MARK))
    archive = Archive.in_dir(run_dir)
    try:
        run_id = archive.create_run(config.name, config.model_dump_json(), "0.0-test").id

        def agent(parent: int | None, status: str, score: float | None, commit: str | None, **fields: Any) -> int:
            generation = 0 if parent is None else archive.get_agent(parent).generation + 1
            row = archive.add_agent(run_id=run_id, parent_id=parent, generation=generation, status=status, score=score,
                                    commit=commit, **fields)
            if commit not in (None, GHOST):
                repo.pin(row.id, commit)
            return row.id

        seed = agent(None, "seed", 0.5, seed_commit, n_tasks=2, n_resolved=1)
        a = agent(seed, "valid", 0.5, a_commit, n_tasks=2, n_resolved=1)
        c = agent(a, "valid", 1.0, c_commit, n_tasks=2, n_resolved=2)
        r = agent(seed, "rejected", None, None, reason="the self-edit was empty")
        ghost = agent(seed, "valid", 0.0, GHOST)
        for task, resolved, canary in (("t1", True, False), ("t2", True, False), ("t1", True, False),
                                       ("canary-x", False, True)):
            archive.add_evaluation(agent_id=c, task_id=task, stage=1, resolved=resolved, canary=canary)
    finally:
        archive.close()
    return {"dir": run_dir, "seed": seed, "a": a, "c": c, "r": r, "ghost": ghost,
            "commits": {seed: seed_commit, a: a_commit, c: c_commit}}


def user_repo(path: Path) -> Path:
    path.mkdir()
    (path / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    git("init", "-q", cwd=path)
    git("add", "-A", cwd=path)
    git("commit", "-qm", "initial state", cwd=path)
    return path


def readme_command(readme: str) -> str:
    """The one command the README gives to run the agent."""
    commands = [ln for ln in readme.splitlines() if ln.startswith("DGM_MODEL_URL=") and "coding_agent.py" in ln]
    assert len(commands) == 1, commands
    return commands[0]


def assert_no_secret(dest: Path, *texts: str) -> None:
    for text in texts:
        assert SECRET_KEY not in text and URL_PASSWORD not in text
    for path in dest.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert SECRET_KEY.encode() not in data and URL_PASSWORD.encode() not in data, path


def assert_code_is_commit(code: Path, run_dir: Path, commit: str) -> None:
    names = git("ls-tree", "-r", "--name-only", commit, cwd=run_dir / "agents.git").split("\n")
    names = sorted(n for n in names if n)
    assert sorted(str(p.relative_to(code)) for p in code.rglob("*") if p.is_file()) == names
    for name in names:
        assert (code / name).read_bytes() == git_bytes("cat-file", "blob", f"{commit}:{name}", cwd=run_dir / "agents.git")


def check_manifest(manifest: dict[str, Any], run: dict[str, Any]) -> None:
    c = run["c"]
    assert manifest["dgm_version"] and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", manifest["exported_at"])
    assert manifest["run"] | {"dir": None} == {
        "id": 1, "name": "export-test", "dir": None, "status": "running", "policy": "hgm", "benchmark": "builtin",
        "dgm_version": "0.0-test", "demo": False}
    assert Path(manifest["run"]["dir"]) == run["dir"].resolve()
    assert manifest["agent"] == {"id": c, "status": "valid", "score": 1.0, "generation": 2,
                                 "commit": run["commits"][c], "parent_id": run["a"], "flag": None}
    assert manifest["lineage"] == [
        {"id": run["seed"], "commit": run["commits"][run["seed"]], "score": 0.5, "status": "seed", "generation": 0},
        {"id": run["a"], "commit": run["commits"][run["a"]], "score": 0.5, "status": "valid", "generation": 1},
        {"id": c, "commit": run["commits"][c], "score": 1.0, "status": "valid", "generation": 2}]
    models = manifest["models"]
    assert {k: models[k] for k in ("agent_model", "diagnosis_model", "base_url", "api_key_env")} == {
        "agent_model": AGENT_MODEL, "diagnosis_model": "diagnosis-model-y", "base_url": PUBLIC_URL, "api_key_env": KEY_VAR}
    assert manifest["evaluation"] == {
        "tasks_resolved": 2, "tasks_total": 2, "canary_checks": 1, "canaries_resolved": 0,
        "tasks": [{"task": "t1", "runs": 2, "resolved": 2}, {"task": "t2", "runs": 1, "resolved": 1}]}
    assert {"DGM_MODEL_URL", "DGM_MODEL", "DGM_API_KEY"} <= set(manifest["agent_env"])


def run_agent_as_readme_says(dest: Path, repo: Path, server: ScriptedModelServer) -> subprocess.CompletedProcess:
    """The README's command, run from the export's folder with only the endpoint and the repository
    filled in (the key comes from the variable the run named, as the command says)."""
    command = readme_command((dest / "README.md").read_text())
    assert PUBLIC_URL in command and "/path/to/repo" in command and f'"${KEY_VAR}"' in command
    command = command.replace(PUBLIC_URL, server.base_url).replace("/path/to/repo", str(repo))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DGM_")}
    return subprocess.run(["bash", "-c", command], cwd=dest, env={**env, KEY_VAR: SECRET_KEY}, capture_output=True,
                          text=True, timeout=120)


def check_agent_run(repo: Path, out: Path) -> None:
    assert (repo / "calc.py").read_text() == "def add(a, b):\n    return a + b\n"
    result = json.loads((out / "result.json").read_text())
    assert result["status"] == "submitted" and result["steps"] == 2, result
    transcript = json.loads((out / "transcript.json").read_text())
    assert [m["role"] for m in transcript][:2] == ["system", "user"]
    assert any(m.get("tool_calls") for m in transcript if m["role"] == "assistant")
    assert transcript[-1] == {"role": "assistant", "content": "Fixed: add() adds now."}


def test_export_runs_without_dgm(run, tmp_path):
    dest = tmp_path / "exports" / "best"
    proc = dgm("export", run["c"], dest, "--run-dir", run["dir"], env={KEY_VAR: SECRET_KEY})
    assert proc.returncode == 0, proc.stderr
    assert f"agent {run['c']} (commit {run['commits'][run['c']][:12]}) exported to {dest}" in proc.stdout
    assert {p.name for p in dest.iterdir()} == FILES
    assert [p.name for p in dest.parent.iterdir()] == ["best"]  # no scratch folder left beside it
    assert_code_is_commit(dest / "agent", run["dir"], run["commits"][run["c"]])
    assert (dest / "agent" / "tools.py").read_text().endswith(MARK) and (dest / "agent" / "NOTES.md").is_file()
    check_manifest(json.loads((dest / "manifest.json").read_text()), run)
    readme = (dest / "README.md").read_text()
    assert "as you" in readme and "throwaway clone" in readme and "docker run" in readme
    for name in ("DGM_TOOL_MODE", "DGM_MODEL_MAX_TOKENS", "DGM_MODEL_TIMEOUT"):
        assert name in readme
    assert os.access(dest / "run.sh", os.X_OK)
    assert_no_secret(dest, proc.stdout, proc.stderr)

    (dest / "ISSUE.md").write_text("add(2, 3) returns -1; it should add.\n")
    with ScriptedModelServer(SCRIPT) as server:
        repo = user_repo(tmp_path / "project")
        done = run_agent_as_readme_says(dest, repo, server)
        assert done.returncode == 0, done.stderr
        check_agent_run(repo, dest / "out")
        assert server.hits("fix") == 1 and {r["model"] for r in server.requests} == {AGENT_MODEL}

        # run.sh: the same from arguments, the endpoint from the environment.
        other = user_repo(tmp_path / "project2")
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("DGM_")}, "DGM_MODEL_URL": server.base_url}
        proc = subprocess.run([str(dest / "run.sh"), str(other), str(dest / "ISSUE.md"), str(tmp_path / "out2"),
                               "--max-steps", "5"], env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        check_agent_run(other, tmp_path / "out2")
        assert server.hits("fix") == 2


def test_export_a_flagged_agent_into_an_empty_directory_through_db_url(run, tmp_path):
    archive = Archive.in_dir(run["dir"])
    archive.flag_agent(run["a"], "resolved the cheating canary task canary-x")
    archive.close()
    dest = tmp_path / "empty"
    dest.mkdir()
    proc = dgm("export", run["a"], dest, "--run-dir", run["dir"], "--db-url", f"sqlite:///{run['dir'] / 'archive.sqlite'}")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == f"note: agent {run['a']} is flagged as a suspected reward hacker: " \
                                  "resolved the cheating canary task canary-x"
    manifest = json.loads((dest / "manifest.json").read_text())
    assert manifest["agent"]["id"] == run["a"] and [a["id"] for a in manifest["lineage"]] == [run["seed"], run["a"]]
    assert manifest["agent"]["flag"] == "resolved the cheating canary task canary-x"
    assert "suspected reward hacker:** resolved the cheating canary task canary-x" in (dest / "README.md").read_text()
    assert_code_is_commit(dest / "agent", run["dir"], run["commits"][run["a"]])


def test_bad_input_is_one_line_and_writes_nothing(run, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    dest = out / "x"
    assert one_error_line(dgm("export", "99", dest, "--run-dir", run["dir"])) == "error: no agent with id 99"
    assert one_error_line(dgm("export", run["r"], dest, "--run-dir", run["dir"])) == \
        f"error: agent {run['r']} has no code (rejected: the self-edit was empty)"
    assert "holds no dgm run" in one_error_line(dgm("export", run["c"], dest, "--run-dir", tmp_path / "nowhere"))
    # A commit agents.git lacks fails half-way through: the scratch folder goes, nothing is left.
    line = one_error_line(dgm("export", run["ghost"], dest, "--run-dir", run["dir"]))
    assert line.startswith(f"error: commit {GHOST} is not in")
    line = one_error_line(dgm("export", run["c"], dest, "--run-dir", run["dir"],
                              "--db-url", f"postgresql://u:{URL_PASSWORD}@127.0.0.1:1/db"))
    assert line.startswith("error: ") and URL_PASSWORD not in line
    assert list(out.iterdir()) == []

    dest.mkdir()
    (dest / "mine.txt").write_text("keep me")
    assert one_error_line(dgm("export", run["c"], dest, "--run-dir", run["dir"])) == f"error: {dest} is not empty"
    assert [p.name for p in dest.iterdir()] == ["mine.txt"] and (dest / "mine.txt").read_text() == "keep me"
    assert one_error_line(dgm("export", run["c"], dest / "mine.txt", "--run-dir", run["dir"])) == \
        f"error: {dest / 'mine.txt'} exists and is not a directory"
    assert sorted(p.name for p in out.iterdir()) == ["x"]
