"""SIGTERM in the middle of a real run: containers removed, run marked stopped, resumable."""

import json
import signal
import subprocess
import sys
import time

import pytest

from archive_db import Archive

pytestmark = pytest.mark.docker


def _events(run_dir):
    path = run_dir / "events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_sigterm_mid_generation_stops_cleanly(tmp_path, docker_client):
    run_dir = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "dgm", "run", "--demo", "--run-dir", str(run_dir), "--generations", "3"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not any(e["event"] == "attempt_started" for e in _events(run_dir)):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no attempt started"
        time.sleep(0.1)  # polling the run's own event log for the state we need
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "resumable" in err
    label = f"dgm.run_dir={run_dir.resolve()}"
    assert docker_client.containers.list(all=True, filters={"label": label}) == []
    archive = Archive.in_dir(run_dir)
    run = archive.latest_run()
    assert run.status == "stopped"
    archive.close()
    # The attempt cut off in flight is recorded as interrupted on resume, never left "running".
    resumed = subprocess.run([sys.executable, "-m", "dgm", "run", "--demo", "--run-dir", str(run_dir), "--resume",
                              "--generations", "1"], capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    archive = Archive.in_dir(run_dir)
    agents = archive.agents(archive.latest_run().id)
    assert not [a for a in agents if a.status == "running"]
    assert any(a.status == "failed" and "interrupted" in a.reason for a in agents)
    assert archive.latest_run().status == "finished"
    archive.close()
