"""The run directory's lock and the repairs a resume makes after a kill."""

import json
import os
import signal

import pytest

from archive_db.liveness import lock_holder
from dgm.errors import DgmError
from dgm.recovery import RunLock, repair


def test_one_process_per_run_directory_and_a_killed_holder_frees_it(tmp_path, run_lock_holder):
    holder = run_lock_holder(tmp_path)
    assert lock_holder(tmp_path) == holder.pid
    with pytest.raises(DgmError, match=f"in use by a running dgm \\(pid {holder.pid}\\)"):
        RunLock(tmp_path).acquire()
    os.kill(holder.pid, signal.SIGKILL)  # the kernel drops the lock however the process dies
    holder.wait(timeout=10)
    assert lock_holder(tmp_path) is None
    lock = RunLock(tmp_path).acquire()
    assert lock_holder(tmp_path) == os.getpid()
    lock.release()
    assert lock_holder(tmp_path) is None


def test_repair_drops_a_half_written_event_and_stale_locks(tmp_path):
    whole = [json.dumps({"event": "a"}), json.dumps({"event": "b"})]
    (tmp_path / "events.jsonl").write_text("\n".join(whole) + '\n{"event": "cut of')
    refs = tmp_path / "agents.git" / "refs" / "agents"
    refs.mkdir(parents=True)
    (refs / "7.lock").write_text("x")
    (tmp_path / "agents.git" / "index.lock").write_text("x")
    (tmp_path / "work" / "attempt-3-abc").mkdir(parents=True)
    done = repair(tmp_path)
    assert len(done) == 4
    assert (tmp_path / "events.jsonl").read_text().splitlines() == whole
    assert not (refs / "7.lock").exists() and not (tmp_path / "agents.git" / "index.lock").exists()
    assert not (tmp_path / "work").exists()
    assert repair(tmp_path) == []  # nothing left to repair


def test_repair_leaves_a_clean_run_alone(tmp_path):
    (tmp_path / "events.jsonl").write_text('{"event": "a"}\n')
    assert repair(tmp_path) == []
    assert (tmp_path / "events.jsonl").read_text() == '{"event": "a"}\n'
