"""A `dgm run` against a scripted model the test controls (the demo's script, changed at will):
the config file that points the run at it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from dgm.demo import AGENT_MODEL, DEMO_PRICES, DIAGNOSIS_MODEL


def _table(values: dict[str, Any]) -> str:
    return "\n".join(f"{k} = {json.dumps(v)}" for k, v in values.items())


def write_config(path: Path, base_url: str, tasks: list[str], *, model: dict[str, Any] | None = None,
                 loop: dict[str, Any] | None = None, sandbox: dict[str, Any] | None = None,
                 evaluation: dict[str, Any] | None = None) -> Path:
    prices = "\n".join(f'[model.prices."{m}"]\ninput = {p.input}\noutput = {p.output}' for m, p in DEMO_PRICES.items())
    model_table = {"base_url": base_url, "agent_model": AGENT_MODEL, "diagnosis_model": DIAGNOSIS_MODEL,
                   "api_key_env": "DGM_TEST_NO_KEY", **(model or {})}
    loop_table = {"generations": 1, "parents_per_generation": 1, **(loop or {})}
    path.write_text(f"[model]\n{_table(model_table)}\n\n{prices}\n\n[loop]\n{_table(loop_table)}\n\n"
                    f"[sandbox]\n{_table(sandbox or {})}\n\n[evaluation]\n{_table({'tasks': tasks, **(evaluation or {})})}\n")
    return path


def user_repository(task, dest: Path) -> tuple[Path, Path]:
    """A task's repository as a user's git repository (``dest``) and its problem as an issue file
    beside it: what `dgm replay` is pointed at."""
    shutil.copytree(task.repo_dir, dest)
    for cmd in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init"]):
        subprocess.run(["git", *cmd], cwd=dest, check=True)
    issue = dest.with_name(f"{dest.name}-issue.md")
    issue.write_text(task.problem)
    return dest, issue
