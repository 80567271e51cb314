"""The run manifest: everything needed to reproduce a run, written to RUN_DIR/manifest.json.

dgm's version and git commit, the full config, the models with the prices used for cost
accounting, the benchmark's tasks with content hashes (and the ones the suite check left out), the
sandbox images' ids, and the seeds. A resumed run keeps the first manifest and appends each resume,
so a change of code, task or image between sessions is visible.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.registry import Benchmark
from benchmarks.task import Task
from dgm import __version__
from dgm.config import RunConfig
from dgm.context_window import ContextWindow
from kernel.git import FOREIGN_REPO_ENV, GitError, git

MANIFEST = "manifest.json"
SOURCE_DIR = Path(__file__).resolve().parent.parent


def source_commit() -> dict[str, Any]:
    """The git commit dgm runs from, and whether its tracked files have uncommitted changes."""
    def ask(*args: str) -> str:
        return git(*args, cwd=SOURCE_DIR, env=FOREIGN_REPO_ENV, timeout=30).strip()

    try:
        return {"commit": ask("rev-parse", "HEAD"), "dirty": bool(ask("status", "--porcelain", "--untracked-files=no"))}
    except (OSError, subprocess.SubprocessError, GitError):
        return {"commit": None, "dirty": None}  # an installed wheel: the version says it all


def build_manifest(config: RunConfig, benchmark: Benchmark, tasks: list[Task], image_ids: dict[str, str],
                   canaries: list[Task] = (), context: ContextWindow | None = None) -> dict[str, Any]:
    used = {t.id for t in tasks}
    models = sorted({config.model.agent_model, config.model.diagnosis_model})
    return {
        "dgm_version": __version__,
        "source": source_commit(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": json.loads(config.model_dump_json()),
        "models": {
            "base_url": config.model.base_url,
            "agent": config.model.agent_model,
            "diagnosis": config.model.diagnosis_model,
            "prices_usd_per_million_tokens": {m: config.model.price(m).model_dump() for m in models},
            # The diagnosis model's context window the prompts are sized to, and who said it.
            **({"diagnosis_context": {"tokens": context.tokens, "source": context.source}} if context else {}),
        },
        "benchmark": {
            "name": benchmark.name,
            "first_stage": list(benchmark.first_stage or ()),
            "tasks": [{"id": t.id, "content_hash": t.content_hash(), "image": t.image or config.sandbox.image}
                      for t in tasks],
            "left_out": sorted(t.id for t in benchmark.tasks if t.id not in used),
        },
        # The cheating-canary tasks a check may draw (dgm/canaries.py); they never count in a score.
        "canaries": [{"id": t.id, "content_hash": t.content_hash()} for t in canaries],
        "images": image_ids,
        "seeds": {"loop": config.loop.seed},
    }


def write_manifest(run_dir: Path, manifest: dict[str, Any]) -> Path:
    """Write (first start) or extend (resume) the manifest, atomically: never a half-written file."""
    path = run_dir / MANIFEST
    if path.is_file():
        previous = json.loads(path.read_text())
        first = {k: v for k, v in previous.items() if k != "resumes"}
        data = {**first, "resumes": [*previous.get("resumes", []), manifest]}
    else:
        data = manifest
    fd, tmp = tempfile.mkstemp(prefix=".manifest-", dir=run_dir)
    with os.fdopen(fd, "w") as out:
        json.dump(data, out, indent=2, sort_keys=True)
        out.write("\n")
    os.replace(tmp, path)
    return path
