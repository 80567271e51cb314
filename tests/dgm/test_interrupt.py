"""Stopping a real run with signals: the first one stops gracefully within a bound, a second one at
once; either way no container is left, the run is marked stopped, and a resume completes it."""

import json
import signal
import subprocess
import sys
import time

import pytest

from archive_db import Archive

pytestmark = pytest.mark.docker

TASKS = "slugify-unicode,roman-subtractive-parsing,semver-prerelease-order"


def _events(run_dir):
    path = run_dir / "events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")] if path.exists() else []


def _start(run_dir, *extra):
    return subprocess.Popen([sys.executable, "-m", "dgm", "run", "--demo", "--run-dir", str(run_dir), "--generations", "3",
                             "--tasks", TASKS, "--no-check", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_event(proc, run_dir, kind):
    deadline = time.monotonic() + 300
    while not any(e["event"] == kind for e in _events(run_dir)):
        if proc.poll() is not None:
            pytest.fail(f"dgm run exited {proc.returncode} before {kind}: {proc.communicate()}")
        assert time.monotonic() < deadline, f"no {kind} within 300 s"
        time.sleep(0.1)  # polling the run's own event log for the state we need


def _assert_stopped_cleanly(run_dir, docker_client, proc, out, err):
    assert proc.returncode == 130, (out[-2000:], err[-2000:])
    assert "resumable" in err, err[-2000:]
    label = f"dgm.run_dir={run_dir.resolve()}"
    assert docker_client.containers.list(all=True, filters={"label": label}) == []
    archive = Archive.in_dir(run_dir)
    try:
        run = archive.latest_run()
        assert run.status == "stopped" and "SIGTERM" in (run.reason or "")
        agents = archive.agents(run.id)
        # Nothing was given a verdict because of the stop: open attempts stay open for the resume.
        assert not [a for a in agents if a.status == "failed"], [(a.id, a.reason) for a in agents]
        return [a for a in agents if a.status == "running"]
    finally:
        archive.close()


def _resume_completes(run_dir, generations):
    resumed = subprocess.run([sys.executable, "-m", "dgm", "run", "--demo", "--run-dir", str(run_dir), "--resume",
                              "--generations", str(generations), "--tasks", TASKS, "--no-check"], capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    archive = Archive.in_dir(run_dir)
    try:
        run = archive.latest_run()
        agents = archive.agents(run.id)
        assert run.status == "finished"
        assert not [a for a in agents if a.status in ("running", "failed")], [(a.id, a.status, a.reason) for a in agents]
        assert len(agents) == 1 + 2 * generations  # exactly the slots planned, none twice
    finally:
        archive.close()


def test_sigterm_stops_gracefully_within_its_grace_period_and_resumes(tmp_path, docker_client):
    run_dir = tmp_path / "run"
    proc = _start(run_dir, "--stop-grace", "0")
    _wait_for_event(proc, run_dir, "attempt_started")
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    open_attempts = _assert_stopped_cleanly(run_dir, docker_client, proc, out, err)
    kinds = [e["event"] for e in _events(run_dir)]
    assert "run_stopped" in kinds
    # With no grace the watchdog ended the attempts in flight at once (unless they had just ended).
    assert "stop_forced" in kinds or not open_attempts
    assert all("resume" in (a.reason or "") for a in open_attempts)
    _resume_completes(run_dir, generations=1)
    resumed = [e for e in _events(run_dir) if e["event"] == "run_resumed"]
    assert resumed and sorted(resumed[0]["open_attempts"]) == sorted(a.id for a in open_attempts)


def test_a_second_sigterm_stops_at_once_and_the_run_still_resumes(tmp_path, docker_client):
    run_dir = tmp_path / "run"
    proc = _start(run_dir, "--stop-grace", "600")
    _wait_for_event(proc, run_dir, "attempt_started")
    proc.send_signal(signal.SIGTERM)
    # Signals of one kind do not queue: send the second only once the first was handled.
    first = ""
    while "stopping" not in first:
        first = proc.stderr.readline()
        assert first, "dgm run ended without announcing its graceful stop"
    start = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    err = first + err
    assert time.monotonic() - start < 30, "a second signal must not wait out the 600 s grace period"
    _assert_stopped_cleanly(run_dir, docker_client, proc, out, err)
    _resume_completes(run_dir, generations=1)
