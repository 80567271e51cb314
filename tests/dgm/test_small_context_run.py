"""A run against a small-context server, for real (`dgm run`, Docker, the scripted model answering
GET /props as llama.cpp's server does): the window is probed once and recorded, every diagnosis
request is sized to it with the answer's reserve as its output cap, and a diagnosis model that never
answers usable JSON costs one retry, then the attempt is rejected with its words kept."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from archive_db import Archive
from benchmarks.registry import load_benchmark
from dgm.config import EvaluationConfig
from dgm.demo import demo_script
from dgm.diagnose import RETRY_CHARS, prompt_chars
from dgm.models.scripted import ScriptedModelServer
from tests.dgm.scripted_run import write_config

pytestmark = pytest.mark.docker

TASKS = ["slugify-unicode"]
WINDOW = 8192


def test_a_small_window_is_probed_and_an_unusable_diagnosis_is_retried_then_kept(tmp_path, docker_client):
    script = demo_script(load_benchmark(EvaluationConfig(tasks=TASKS)).tasks)
    diagnose = script["rule"][0]
    assert diagnose["name"] == "diagnose"
    diagnose["replies"] = [{"content": "The agent should check its work."}, {"content": "It should run the tests, I think."}]
    script["context_tokens"] = WINDOW
    run_dir = tmp_path / "run"
    with ScriptedModelServer(script) as server:
        config = write_config(tmp_path / "dgm.toml", server.base_url, TASKS,
                              evaluation={"stage_sizes": [len(TASKS)], "check_suite": False, "cheat_canaries": False})
        proc = subprocess.run([sys.executable, "-m", "dgm", "run", "--config", str(config), "--run-dir", str(run_dir)],
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
        asked = [r for r in server.requests if r["rule"] == "diagnose"]
    archive = Archive.in_dir(run_dir)
    try:
        _seed, child = archive.agents(archive.latest_run().id)
    finally:
        archive.close()
    assert child.status == "rejected" and child.reason.startswith("diagnosis unusable: ")
    assert "The agent should check its work." in child.diagnosis_json and "It should run the tests" in child.diagnosis_json
    first, second = asked
    assert sum(len(m["content"]) for m in first["messages"]) <= prompt_chars(WINDOW) - RETRY_CHARS
    assert second["messages"][-1]["role"] == "user" and "could not be used" in second["messages"][-1]["content"]
    assert first["max_tokens"] == second["max_tokens"] == WINDOW // 4
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    [window] = [e for e in events if e["event"] == "context_window"]
    assert (window["tokens"], window["source"]) == (WINDOW, "llama.cpp /props")
    assert "8,192 tokens" in proc.stdout + proc.stderr  # the live display says it
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["models"]["diagnosis_context"] == {"tokens": WINDOW, "source": "llama.cpp /props"}
