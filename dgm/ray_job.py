"""One job on a Ray node: what the Ray task runs (dgm/ray_executor.py submits it).

The node never reads the coordinator's files. The task receives by value what the job needs: a git
pack of each agent commit it reads (`kernel.git.pack_commits`) and a tar of its task's folders, both
from Ray's object store. It unpacks them into node-local folders, serves each of the job's gateway
channels on a node-local Unix socket bridged to the coordinator (dgm/socket_bridge.py), points the
job's spec at those local paths, and then runs exactly what a local job runs: `python -m
dgm.job_runner` in a session of its own, the spec on its standard input, without the API key in its
environment (under a guard that makes sure the job gets to remove its containers however the Ray
worker ends: dgm/job_guard.py). Each line it prints is a message, yielded as it comes (a streaming generator task);
the last item says how it exited, with the tail of its standard error.

Cancelled (`ray.cancel`, which raises KeyboardInterrupt here) or closed, the job's process group gets
SIGTERM (the job removes its containers and ends; dgm/job_runner.py), then SIGKILL after the grace.
Its worker killed outright (a forced cancel, a lost node), the job still gets SIGTERM, through its guard.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import queue
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from dgm.executor import EXITED
from dgm.jobs import EvaluateJob, Job, dump_job, load_job
from dgm.socket_bridge import BRIDGE_ROOT, NodeBridge
from kernel.git import unpack_commits
from kernel.trees import remove_tree

STDERR_TAIL = 64 * 1024
POLL_S = 0.2  # how soon a cancel reaches a job that is saying nothing
TASK_CACHE = "dgm-ray-tasks"  # under the node's temporary folder: each task's folders, by content
SCRATCH_PREFIX = "dgm-ray-job-"  # a job's folder under the node's temporary folder: dgm-ray-job-<worker pid>-...
BRIDGE_PREFIX = "dgm-nb-"  # a job's gateway socket folder, under BRIDGE_ROOT: dgm-nb-<worker pid>-...


def run_job(spec: dict[str, Any], task_tar: bytes | None, *packs: bytes) -> Iterator[dict[str, Any]]:
    """The job's messages, as it prints them; the last is {"type": "exited", "code": N, "stderr": ..., "node": ...}."""
    _sweep()
    scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
    bridges: list[NodeBridge] = []
    proc: subprocess.Popen[str] | None = None
    try:
        job, context = load_job(spec["job"])
        repo = scratch / "agents.git"
        for pack in packs:
            unpack_commits(repo, pack)
        (scratch / "work").mkdir()
        if isinstance(job, EvaluateJob):
            job = replace(job, task=_local_task(job, task_tar, spec["task"]))
        channels = {}
        for name, token in spec["tokens"].items():
            bridges.append(NodeBridge(tuple(spec["bridge"]), token, spec["max_connections"], prefix=f"{BRIDGE_PREFIX}{os.getpid()}-"))
            channels[name] = replace(getattr(job, name), socket_dir=str(bridges[-1].dir))
        job = replace(job, **channels)
        context = replace(context, agents_git=str(repo), work_dir=str(scratch / "work"))
        env = {k: v for k, v in os.environ.items() if k not in spec["secret_env"]}
        with open(scratch / "stderr.log", "w+", encoding="utf-8", errors="replace") as stderr:
            # The job runner, under a guard that dies with this worker (dgm/job_guard.py).
            proc = subprocess.Popen([sys.executable, "-m", "dgm.job_guard", str(os.getpid())], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=stderr, text=True, encoding="utf-8", errors="surrogateescape",
                                    start_new_session=True, env=env)
            yield from _messages(proc, job, context)
            code = proc.wait()
            yield {"type": EXITED, "code": code, "stderr": _tail(stderr), "node": _node()}
    finally:  # cancelled (KeyboardInterrupt), closed (GeneratorExit) or done
        if proc is not None and proc.poll() is None:
            _stop(proc, spec["grace_s"])
        for bridge in bridges:
            bridge.close()
        with contextlib.suppress(OSError):
            remove_tree(scratch)


def _sweep() -> None:
    """Remove the folders of jobs whose worker was killed under them (nothing else ever would)."""
    for root, prefix in ((Path(tempfile.gettempdir()), SCRATCH_PREFIX), (Path(BRIDGE_ROOT), BRIDGE_PREFIX)):
        for folder in root.glob(f"{prefix}*-*"):
            pid = folder.name[len(prefix):].split("-", 1)[0]
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                with contextlib.suppress(OSError):
                    remove_tree(folder)


def _node() -> str:
    """This Ray node's id and address (for the job's log on the coordinator)."""
    import ray  # this runs in a Ray worker

    return f"{ray.get_runtime_context().get_node_id()} ({ray.util.get_node_ip_address()})"


def _messages(proc: subprocess.Popen[str], job: Job, context: Any) -> Iterator[dict[str, Any]]:
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(dump_job(job, context))
        proc.stdin.close()
    except OSError:
        pass  # it died at once: its exit says so
    # Read by a thread: Ray's cancel raises KeyboardInterrupt in this one only when it runs Python code,
    # which a read blocked until the job's next line is not (a job inside its container says nothing).
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_read_lines, args=(proc.stdout, lines), name="dgm-ray-job-stdout", daemon=True).start()
    while (line := _next(lines)) is not None:
        try:
            body = json.loads(line)
        except ValueError:
            continue  # not ours (the job runner keeps stdout for messages; be lenient anyway)
        if isinstance(body, dict):
            yield body


def _read_lines(stdout: Any, lines: queue.Queue[str | None]) -> None:
    try:
        for line in stdout:
            lines.put(line)
    finally:
        lines.put(None)


def _next(lines: queue.Queue[str | None]) -> str | None:
    while True:
        try:
            return lines.get(timeout=POLL_S)
        except queue.Empty:
            continue


def _stop(proc: subprocess.Popen[str], grace_s: float) -> None:
    """SIGTERM to the job's process group (it removes its containers and ends), SIGKILL after the grace."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(grace_s)
            return
        except subprocess.TimeoutExpired:
            continue


def _tail(stderr: Any) -> str:
    stderr.flush()
    size = stderr.seek(0, io.SEEK_END)
    stderr.seek(max(0, size - STDERR_TAIL))
    return stderr.read()


def _local_task(job: EvaluateJob, task_tar: bytes | None, layout: dict[str, str]):
    """The task with its folders on this node: the tar unpacked once per content (``layout["key"]``)
    into the node's task cache, shared by every job of that task on this node."""
    assert task_tar is not None, "an evaluate job needs its task's folders"
    cache = Path(tempfile.gettempdir()) / TASK_CACHE
    folder = cache / layout["key"]
    if not folder.exists():
        cache.mkdir(parents=True, exist_ok=True)
        unpacked = Path(tempfile.mkdtemp(prefix=".unpacking-", dir=cache))
        with tarfile.open(fileobj=io.BytesIO(task_tar)) as tar:
            tar.extractall(unpacked, filter="data")
        try:
            os.rename(unpacked, folder)  # whole or not at all; another job of this node may have won
        except OSError:
            remove_tree(unpacked)
    return replace(job.task, root=folder / layout["root"], repo_dir=folder / layout["repo_dir"],
                   hidden_dir=folder / layout["hidden_dir"])
