"""The read-only reader writes nothing: a finished run read by the reader, the dashboard's API and
`dgm status`/`diff`/`checkout` keeps every file of its directory as it was (mtime and size, the
SQLite -wal and -shm included), so "last activity" stays when the run last wrote. A live run (a
process holding the lock and writing) is still read fresh, and a killed run's write-ahead log is read
without writing either. Real SQLite files and real processes, no mocks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archive_db import Archive
from archive_db.reader import RunReader, open_mode
from dgm.recovery import RunLock
from tests.web.conftest import client, write_run

LONG_AGO = time.time() - 3 * 86400  # the run finished three days ago

# A `dgm run` stand-in: holds the run's lock, adds one agent per line it reads, answers "ok"; killed, it
# leaves what it wrote in the write-ahead log (its connections never close).
WRITER = """
import sys
from pathlib import Path
from archive_db import Archive
from dgm.recovery import RunLock
run_dir = Path(sys.argv[1])
lock = RunLock(run_dir).acquire()
archive = Archive.in_dir(run_dir)
run_id = archive.latest_run().id
print("ready", flush=True)
for line in sys.stdin:
    archive.add_agent(run_id=run_id, parent_id=None, generation=int(line), status="valid", score=0.5)
    print("ok", flush=True)
"""


@pytest.fixture()
def run_root(tmp_path: Path) -> Path:
    root = tmp_path / "runs"
    root.mkdir()
    return root


def snapshot(run_dir: Path) -> dict[str, tuple[int, int]]:
    """(mtime_ns, size) of every file and folder in the run directory, agents.git included."""
    out = {}
    for folder, dirs, files in os.walk(run_dir):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            st = path.lstat()
            out[str(path.relative_to(run_dir))] = (st.st_mtime_ns, st.st_size)
    return out


def finished_run(root: Path) -> dict:
    """A run that ended long ago: status finished, an event log, every file dated three days back."""
    run = write_run(root, "old", [0.2, 0.5, 1.0], with_code=True)
    archive = Archive.in_dir(run["dir"])
    archive.set_run_status(run["run_id"], "finished")
    archive.close()
    (run["dir"] / "events.jsonl").write_text(json.dumps({"t": LONG_AGO, "event": "run_finished"}) + "\n")
    (run["dir"] / "heartbeat.json").write_text(json.dumps({"updated": LONG_AGO, "state": "running"}))
    RunLock(run["dir"]).acquire().release()  # the lock file a finished `dgm run` leaves behind
    for folder, dirs, files in os.walk(run["dir"]):
        for name in [*dirs, *files, "."]:
            os.utime(Path(folder) / name, (LONG_AGO, LONG_AGO), follow_symlinks=False)
    assert not (run["dir"] / "archive.sqlite-wal").exists()  # the last connection checkpointed and removed it
    return run


def read_everything(reader: RunReader, run: dict) -> None:
    seed, child, best = run["ids"]
    assert reader.run()["status"] == "finished"
    assert [a["id"] for a in reader.agents(run["run_id"])] == run["ids"]
    assert reader.agent(run["run_id"], best)["score"] == 1.0 and reader.agent(None, best)["id"] == best
    assert reader.agent_transcript(run["run_id"], child)
    first = reader.evaluations(run["ids"])[0]
    assert reader.evaluation(first["agent_id"], first["id"])["task_id"] == first["task_id"]
    assert reader.evaluation_transcript(first["agent_id"], first["id"])
    assert reader.calls(best) and reader.call_count(run["run_id"]) == 3
    assert reader.spent(run["run_id"]) == 0.75 and sum(reader.cost_by_agent(run["run_id"]).values()) == 0.75
    assert reader.count_tampered(run["run_id"]) == 0
    assert reader.cached("k", lambda: 1) == 1 and reader.signature()


def test_the_reader_changes_no_file_of_a_finished_run(run_root):
    run = finished_run(run_root)
    before = snapshot(run["dir"])
    reader = RunReader(run["dir"])
    for _ in range(2):  # the second time from the pooled connections
        read_everything(reader, run)
    assert reader.mode == "immutable"
    assert abs(reader.last_activity() - LONG_AGO) < 1
    reader.close()
    assert snapshot(run["dir"]) == before


def test_the_dashboard_shows_when_a_finished_run_last_wrote_and_changes_nothing(run_root):
    run = finished_run(run_root)
    seed, child, best = run["ids"]
    before = snapshot(run["dir"])
    api = client(run_root)
    [listed] = api.get("/api/runs").json()
    for path in ("", "/agents", "/charts", "/changes", f"/agents/{best}", f"/agents/{best}/diff",
                 f"/agents/{best}/diff?against=seed", f"/agents/{best}/tasks", f"/agents/{best}/transcript",
                 f"/agents/{best}/calls", f"/agents/{child}/code.tar.gz", f"/runs/old/agents/{best}"):
        url = path if path.startswith("/runs/") else f"/api/runs/old{path}"
        assert api.get(url).status_code == 200, url
    summary = api.get("/api/runs/old").json()
    assert snapshot(run["dir"]) == before
    for shown in (listed["last_activity"], summary["last_activity"]):
        when = datetime.fromisoformat(shown.removesuffix("Z")).replace(tzinfo=UTC).timestamp()
        assert abs(when - LONG_AGO) < 1, shown  # three days ago, not "just now"
    assert api.get("/api/runs/old/changes").json()["live"] == {"running": False}


def dgm(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dgm", *args], capture_output=True, text=True, timeout=120, cwd=cwd,
                          env={**os.environ, "COLUMNS": "200"})


def test_dgm_status_diff_and_checkout_change_nothing(run_root, tmp_path):
    run = finished_run(run_root)
    seed, child, best = run["ids"]
    before = snapshot(run["dir"])
    status = dgm("status", "--run-dir", str(run["dir"]), cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert "run old (finished)" in status.stdout and "3 agents, 3 model calls, $0.7500 spent" in status.stdout
    ago = int(status.stdout.split("last activity: run_finished ")[1].split(" s ago")[0])
    assert ago >= 3 * 86400 - 60  # three days, not "just now"
    diff = dgm("diff", str(seed), str(best), "--run-dir", str(run["dir"]), cwd=tmp_path)
    assert diff.returncode == 0 and "+line 2" in diff.stdout, diff.stderr
    out = dgm("checkout", str(child), str(tmp_path / "agent"), "--run-dir", str(run["dir"]), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "agent" / "pkg" / "core.py").read_text() == "line 0\nline 1\n"
    assert snapshot(run["dir"]) == before


def test_an_archive_of_an_older_dgm_is_shown_by_dgm_status_without_migrating_it(run_root, tmp_path):
    from archive_db.store import downgrade, make_engine

    run = finished_run(run_root)
    engine = make_engine(f"sqlite:///{run['dir'] / 'archive.sqlite'}")
    downgrade(engine, "0004_compressed_texts")  # before flags and tampered grades
    engine.dispose()
    before = snapshot(run["dir"])
    status = dgm("status", "--run-dir", str(run["dir"]), cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert "3 agents, 3 model calls" in status.stdout and "0 evaluations tampered" in status.stdout
    assert snapshot(run["dir"]) == before


def test_a_live_run_is_read_fresh_and_a_killed_one_without_writing(run_root):
    run = finished_run(run_root)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(run["dir"])], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "ready"
        reader = RunReader(run["dir"])
        api = client(run_root)
        version = api.get("/api/runs/old/changes").json()["version"]
        for generation in range(1, 4):
            writer.stdin.write(f"{generation}\n")
            writer.stdin.flush()
            assert writer.stdout.readline().strip() == "ok"
            assert len(reader.agents(run["run_id"])) == 3 + generation  # fresh, each time
            changes = api.get("/api/runs/old/changes").json()
            assert changes["changed"] and changes["version"] != version and changes["live"]["pid"] == writer.pid
            assert api.get("/api/runs/old").json()["agents"] == 3 + generation
            version = changes["version"]
            assert reader.mode == "ro"
        last = datetime.fromisoformat(api.get("/api/runs/old").json()["last_activity"].removesuffix("Z"))
        assert abs(last.replace(tzinfo=UTC).timestamp() - time.time()) < 60  # it did just write
        status = dgm("status", "--run-dir", str(run["dir"]), cwd=run_root)
        assert "6 agents" in status.stdout and f"live: pid {writer.pid}" in status.stdout, status.stderr
    finally:
        writer.send_signal(signal.SIGKILL)  # a crash: its writes stay in the write-ahead log
        writer.wait()
    wal = run["dir"] / "archive.sqlite-wal"
    assert wal.stat().st_size > 0 and open_mode(run["dir"]) == "readonly_shm"
    before = snapshot(run["dir"])
    assert len(reader.agents(run["run_id"])) == 6 and reader.mode == "readonly_shm"
    fresh = RunReader(run["dir"])
    assert len(fresh.agents(run["run_id"])) == 6
    assert api.get("/api/runs/old").json()["agents"] == 6
    assert api.get("/api/runs/old/changes").json()["live"] == {"running": False}
    fresh.close()
    reader.close()
    assert snapshot(run["dir"]) == before
