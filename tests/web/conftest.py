"""Fixtures of the dashboard tests: small runs written through archive_db, a client that speaks to
the app as a browser on this machine would, and hostile text an agent or a model might produce."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from archive_db import Archive
from archive_db.agents_repo import AgentRepo
from archive_db.location import record
from web.app import create_app

SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
HOSTILE = f"{SCRIPT} {IMG}"


def client(root: Path, token: str | None = None) -> TestClient:
    # A loopback Host header: without a token the app answers nothing else (DNS rebinding).
    return TestClient(create_app(root, token), base_url="http://127.0.0.1:8765")


def write_run(root: Path, name: str, scores: list[float | None], statuses: list[str] | None = None,
              with_code: bool = False, db_url: str | None = None) -> dict[str, Any]:
    """A chain of agents (each the child of the previous one) with evaluations and model calls; in the
    run directory's SQLite file, or with ``db_url`` in that database (named by its database.json)."""
    run_dir = root / name
    archive = Archive(db_url) if db_url else Archive.in_dir(run_dir)
    run = archive.create_run(name, json.dumps({"name": name, "model": {"agent_model": "m", "base_url": "http://secret@host"},
                                               "loop": {"selection": "best"}, "run_dir": str(run_dir)}), "0")
    if db_url:
        record(run_dir, db_url, run.id)
    repo = AgentRepo(run_dir / "agents.git") if with_code else None
    ids: list[int] = []
    commit = None
    for i, score in enumerate(scores):
        status = (statuses or [])[i] if statuses else ("seed" if i == 0 else "valid")
        if repo is not None:
            tree = root / f"{name}-tree-{i}"
            (tree / "pkg").mkdir(parents=True)
            (tree / "pkg" / "core.py").write_text("".join(f"line {k}\n" for k in range(i + 1)))
            commit = repo.commit_tree(tree, commit, f"agent {i}")
        agent = archive.add_agent(run_id=run.id, parent_id=ids[-1] if ids else None, generation=i, status=status, score=score,
                                  commit=commit, n_tasks=2 if score is not None else 0,
                                  n_resolved=int(round((score or 0) * 2)), target_task=None if i == 0 else "task-a",
                                  diagnosis_json=None if i == 0 else json.dumps({"improvement_proposal": f"idea {i}",
                                                                                "problem_description": f"do thing {i}"}),
                                  transcript_json=json.dumps([{"role": "user", "content": f"message {k}"} for k in range(3)]))
        if repo is not None and commit:
            repo.pin(agent.id, commit)
        ids.append(agent.id)
        if score is not None:
            # task-a solved from a score of 0.5 up, task-b only at 1.0: flips along the chain.
            for task, solved in (("task-a", score >= 0.5), ("task-b", score >= 1.0)):
                archive.add_evaluation(agent_id=agent.id, task_id=task, stage=1, resolved=solved, patch="diff --git a/x b/x\n",
                                       test_results_json=json.dumps({f"{task}::t1": "PASSED" if solved else "FAILED",
                                                                     f"{task}::t2": "PASSED"}),
                                       test_output="ok", transcript_json=json.dumps([{"role": "assistant", "content": "done"}]))
        archive.record_call(run_id=run.id, agent_id=agent.id, purpose="solve", model="m", prompt_tokens=10, completion_tokens=5,
                            cost_usd=0.25)
    archive.close()
    return {"dir": run_dir, "ids": ids, "run_id": run.id}


@pytest.fixture()
def run_root(tmp_path: Path) -> Path:
    root = tmp_path / "runs"
    root.mkdir()
    return root
