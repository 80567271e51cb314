"""Where jobs run. The coordinator hands an Executor jobs and reads back their messages; it never
waits on one job: `messages()` returns whatever any job has said, or nothing after a short wait.

`LocalExecutor` (the default: no extra service) runs each job in its own process on this host, in
a session of its own, so a stop or a stall ends a whole process group (the job and anything it
started) instead of asking a thread to notice a flag; the job's containers are removed by label.
`RayExecutor` (dgm/ray_executor.py, `--executor ray`) runs each job on a node of a Ray cluster instead,
behind the same contract.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from dgm.jobs import Job, JobContext, dump_job

# A message no job sends: the executor's own word that a job's process is gone (and how).
EXITED = "exited"
# How long a stopped job gets to remove its containers and end before it is killed outright.
KILL_GRACE_S = 10.0
REAP_WAIT_S = 5.0


@dataclass(frozen=True)
class Message:
    job_id: str
    # {"type": "progress" | "diagnosed" | "self_edit" | "result" | "failed" | "exited", ...}; an "exited" message
    # says "code" (None when unknown) and, when the job's machine was lost under it, "lost" (why).
    body: dict[str, Any]


class Executor(Protocol):
    def submit(self, job: Job) -> None:
        """Start ``job``; its messages come back through messages(), ending with one of type "exited"."""

    def messages(self, timeout_s: float) -> list[Message]:
        """What any job said since the last call; waits up to ``timeout_s`` when nothing is there."""

    def kill(self, job_id: str) -> None:
        """End the job now, without waiting for it (its "exited" message still comes)."""

    def kill_all(self, grace_s: float = KILL_GRACE_S) -> None:
        """End every job now, giving each up to ``grace_s`` to remove its containers and end before
        it is killed outright; return once they have ended."""

    def running(self) -> list[str]:
        """The ids of the jobs whose process has not exited yet."""


class LocalExecutor:
    """One process per job (`python -m dgm.job_runner`), its stdout read by a thread that forwards
    each line as a Message. The job's environment is ours minus the API key."""

    def __init__(self, context: JobContext, log_dir: Path, secret_env: tuple[str, ...] = ()) -> None:
        self.context = context
        self.log_dir = log_dir
        self._env = {k: v for k, v in os.environ.items() if k not in secret_env}
        self._queue: queue.Queue[Message] = queue.Queue()
        self._procs: dict[str, subprocess.Popen[str]] = {}
        self._lock = threading.Condition()  # notified whenever a job leaves the table

    def submit(self, job: Job) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        stderr = open(self.log_dir / f"{job.job_id.replace(':', '-')}.log", "a")  # noqa: SIM115 - closed by the reader
        proc = subprocess.Popen([sys.executable, "-m", "dgm.job_runner"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=stderr, text=True, encoding="utf-8", errors="surrogateescape",
                                start_new_session=True, env=self._env)
        with self._lock:
            self._procs[job.job_id] = proc
        threading.Thread(target=self._read, args=(job, proc, stderr), name=f"dgm-job-{job.job_id}", daemon=True).start()

    def _read(self, job: Job, proc: subprocess.Popen[str], stderr: Any) -> None:
        try:
            assert proc.stdin is not None and proc.stdout is not None
            try:
                proc.stdin.write(dump_job(job, self.context))
                proc.stdin.close()
            except OSError:
                pass  # it died at once: its exit says so
            for line in proc.stdout:
                try:
                    body = json.loads(line)
                except ValueError:
                    continue  # not ours (the job runner keeps stdout for messages; be lenient anyway)
                if isinstance(body, dict):
                    self._queue.put(Message(job.job_id, body))
        finally:
            stderr.close()
            # Out of the table before it is reaped: once reaped, its pid (and group id) may belong to
            # another process of this host, which a kill must never reach.
            with self._lock:
                self._procs.pop(job.job_id, None)
                self._lock.notify_all()
        code = proc.wait()
        self._queue.put(Message(job.job_id, {"type": EXITED, "code": code}))

    def messages(self, timeout_s: float) -> list[Message]:
        return drain(self._queue, timeout_s)

    def kill(self, job_id: str) -> None:
        with self._lock:  # held through the kill: a process in the table is not reaped yet (see _read)
            proc = self._procs.get(job_id)
            if proc is None:
                return
            _kill_group(proc, signal.SIGTERM)  # it removes its containers and ends (dgm/job_runner.py)
        timer = threading.Timer(KILL_GRACE_S, self._force, (job_id, proc))
        timer.daemon = True
        timer.start()

    def _force(self, job_id: str, proc: subprocess.Popen[str]) -> None:
        with self._lock:
            if self._procs.get(job_id) is proc:
                _kill_group(proc, signal.SIGKILL)

    def kill_all(self, grace_s: float = KILL_GRACE_S) -> None:
        deadline = time.monotonic() + grace_s
        with self._lock:
            if grace_s > 0:
                for proc in self._procs.values():
                    _kill_group(proc, signal.SIGTERM)
                while self._procs and self._lock.wait(max(0.0, deadline - time.monotonic())):
                    pass
            for proc in self._procs.values():
                _kill_group(proc, signal.SIGKILL)
            self._lock.wait_for(lambda: not self._procs, timeout=REAP_WAIT_S)  # SIGKILL: it ends at once

    def running(self) -> list[str]:
        with self._lock:
            return list(self._procs)


def drain(messages: queue.Queue[Message], timeout_s: float) -> list[Message]:
    """Everything in the queue, waiting up to ``timeout_s`` for the first."""
    try:
        found = [messages.get(timeout=timeout_s)]
    except queue.Empty:
        return []
    while True:
        try:
            found.append(messages.get_nowait())
        except queue.Empty:
            return found


def _kill_group(proc: subprocess.Popen[str], sig: signal.Signals) -> None:
    try:
        os.killpg(proc.pid, sig)  # the job and whatever it started
    except (ProcessLookupError, PermissionError):
        pass  # gone already
