"""dgm against a real model: SmolLM2-135M-Instruct served by llama.cpp's OpenAI-compatible server
(`dgm setup --local-model`), on this machine's CPU. A model this small writes messy output; that is
the point: every step must be recorded, every status clear, and nothing may hang.

Skipped where the local model is not installed, unless DGM_REQUIRE_LOCAL_MODEL=1 (set by .ci/run)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from archive_db import Archive
from benchmarks.task import load_suite
from dgm.local_model import CONTEXT_TOKENS, MODEL_NAME, gguf_path, serve_command, server_installed
from tests.dgm.scripted_run import user_repository, write_config
from web.app import create_app

pytestmark = [pytest.mark.docker, pytest.mark.local_model]

TASK = "slugify-unicode"
AGENT_STATUSES = {"submitted", "no_tool_calls", "no_change", "max_steps", "limit", "context_length", "error", "timeout"}


@pytest.fixture(scope="module")
def local_model(tmp_path_factory) -> Iterator[str]:
    """The base URL of a llama.cpp server with SmolLM2 on a free port, for this module's tests."""
    if not server_installed() or gguf_path() is None:
        if os.environ.get("DGM_REQUIRE_LOCAL_MODEL") == "1":
            pytest.fail("DGM_REQUIRE_LOCAL_MODEL=1 but the local model is not installed (dgm setup --local-model)")
        pytest.skip("the local model is not installed (dgm setup --local-model)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(serve_command(port), stdout=out, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_until_serving(server, base_url, log)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:  # busy on a request a client gave up on, it may not stop at once
            server.kill()
            server.wait(timeout=15)


def _wait_until_serving(server: subprocess.Popen, base_url: str, log: Path, within_s: float = 180) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the llama.cpp server exited with {server.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{base_url}/models", timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        try:  # the pause between polls, cut short if the server dies
            server.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            pass
    pytest.fail(f"the llama.cpp server did not answer within {within_s} s: {log.read_text()[-2000:]}")


def dgm(*args: str, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dgm", *args], capture_output=True, text=True, timeout=timeout)


def test_doctor_model_tells_which_tool_mode_the_real_model_needs(local_model):
    proc = dgm("doctor", "--model", "--base-url", local_model, "--agent-model", MODEL_NAME,
               "--api-key-env", "DGM_TEST_NO_KEY", timeout=300)
    print(proc.stdout, proc.stderr)
    assert "native" in proc.stdout and "text" in proc.stdout  # both probes came back
    if proc.returncode == 0:
        assert "use --tool-mode " in proc.stdout
    else:
        assert proc.returncode == 1 and "no usable tool call either way" in proc.stderr


@pytest.fixture(scope="module")
def small_run(local_model, tmp_path_factory) -> Path:
    """One generation against the real model: the seed on one task, one self-edit, its validation."""
    root = tmp_path_factory.mktemp("local-run")
    config = write_config(root / "dgm.toml", local_model, [TASK],
                          model={"agent_model": MODEL_NAME, "diagnosis_model": MODEL_NAME, "agent_max_tokens": 256,
                                 "request_timeout_s": 240, "max_retries": 1, "tool_mode": "auto",
                                 "context_tokens": CONTEXT_TOKENS},  # llama-cpp-python's server does not say
                          loop={"generations": 1, "parents_per_generation": 1, "workers": 1},
                          evaluation={"stage_sizes": [1], "check_suite": False, "cheat_canaries": False})
    with config.open("a") as f:
        f.write("\n[limits]\nmax_steps = 4\n")
    run_dir = root / "run"
    start = time.monotonic()
    proc = dgm("run", "--config", str(config), "--run-dir", str(run_dir), timeout=1500)
    print(f"one generation against {MODEL_NAME} took {time.monotonic() - start:.0f} s\n", proc.stdout[-3000:])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return run_dir


def test_a_one_generation_run_against_the_real_model_records_every_step(small_run):
    archive = Archive.in_dir(small_run)
    try:
        run = archive.latest_run()
        agents = archive.agents(run.id)
        seed_evaluations = archive.evaluations(agents[0].id)
        calls = archive.calls(run_id=run.id)
    finally:
        archive.close()
    assert run.status == "finished"
    seed, *children = agents
    assert seed.status == "seed" and len(children) == 1
    child = children[0]
    assert child.status in {"valid", "rejected"} and (child.status == "valid" or child.reason), (child.status, child.reason)
    [evaluation] = seed_evaluations
    assert evaluation.task_id == TASK and evaluation.agent_status in AGENT_STATUSES, evaluation.agent_status
    assert {c.purpose for c in calls} >= {"solve", "diagnose"}, {c.purpose for c in calls}
    assert all(c.error or c.prompt_tokens > 0 for c in calls)
    events = [json.loads(line)["event"] for line in (small_run / "events.jsonl").read_text().splitlines()]
    assert "run_finished" in events
    status = dgm("status", "--run-dir", str(small_run), timeout=60)
    assert status.returncode == 0 and "finished" in status.stdout, status.stdout
    estimate = dgm("estimate", "--from", str(small_run), timeout=60)
    assert estimate.returncode == 0 and "$" in estimate.stdout, estimate.stdout + estimate.stderr
    # The dashboard shows the run, its agents and the seed's task run as the agent ended it.
    api = TestClient(create_app(small_run.parent), base_url="http://127.0.0.1:8765")
    assert [a["status"] for a in api.get(f"/api/runs/{small_run.name}/agents").json()] == ["seed", child.status]
    tasks = api.get(f"/api/runs/{small_run.name}/agents/{seed.id}/tasks").json()
    assert evaluation.agent_status in json.dumps(tasks)
    assert api.get(f"/api/runs/{small_run.name}/agents/{child.id}/calls").json()


def test_replay_against_the_real_model_ends_with_a_clear_status(small_run, local_model, tmp_path):
    repo, issue = user_repository(next(t for t in load_suite("builtin") if t.id == TASK), tmp_path / "project")
    out = tmp_path / "out"
    proc = dgm("replay", "1", "--run-dir", str(small_run), "--repo", str(repo), "--problem", str(issue), "--out", str(out),
               "--base-url", local_model, "--model", MODEL_NAME, timeout=900)
    result = json.loads((out / "result.json").read_text())
    assert result["status"] in AGENT_STATUSES and result["model_calls"] > 0, result
    changed = bool((out / "patch.diff").read_text().strip())
    assert proc.returncode == (0 if changed else 1), proc.stdout + proc.stderr
    if not changed:
        assert "warning: the agent changed nothing" in proc.stderr
