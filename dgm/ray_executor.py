"""Jobs as Ray tasks on the nodes of a Ray cluster (`--executor ray --ray-address auto|ADDRESS`).

`RayExecutor` is the Executor of dgm/executor.py for a cluster. Each job is one Ray task
(dgm/ray_job.py: a streaming generator that runs the same `python -m dgm.job_runner` a local job
runs, on a node) whose yielded messages a thread per job forwards, ending with "exited". What the
job reads travels by value through Ray's object store, each piece put once and reused: a git pack of
each agent commit, a tar of each task's folders. The model gateways stay in this process (the key,
the reservations against the caps, the model-call records); each node reaches its job's gateways
through the byte bridge of dgm/socket_bridge.py, its listener bound to this node's address.

A node advertises the images it holds as custom resources (`dgm_image:<tag>`, see
`image_resources`); each job asks for a sliver of every image it needs, so it never runs on a node
without them, and a job no node could run is refused with one line before it is submitted.
A job whose node or worker died says so in its "exited" message (`"lost": why`); the coordinator then
leaves its work open, and the policy issues it again on a node that is still there. Ray's own
retries are off: one job never runs twice behind the coordinator's back.

Ray is an optional extra (`pip install 'dgm[ray]'`), imported here only, when a run asks for it.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import queue
import signal
import tarfile
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.task import Task
from dgm.agent_run import SOCKET_NAME
from dgm.config import RunConfig
from dgm.errors import DgmError
from dgm.executor import EXITED, KILL_GRACE_S, REAP_WAIT_S, Message, drain
from dgm.jobs import EvaluateJob, Job, JobContext, dump_job
from dgm.ray_job import run_job
from dgm.socket_bridge import BridgeListener
from kernel.git import pack_commits

IMAGE_RESOURCE = "dgm_image:"
NODE_IMAGE_QUANTITY = 1000  # what a node advertises per image: far more jobs than it will ever run at once
JOB_IMAGE_SHARE = 0.001  # what a job asks for of each image it needs
FORCE_MARGIN_S = 5.0  # a cancelled job's node-side grace first, then its worker is killed
PACK_CACHE = 512  # agent commits whose packs stay in the object store

INSTALL_HINT = "the Ray executor needs Ray: pip install 'dgm[ray]'"


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise DgmError(INSTALL_HINT) from None
    return ray


def image_resource(tag: str) -> str:
    return f"{IMAGE_RESOURCE}{tag}"


def image_resources(tags: Iterable[str]) -> str:
    """The `ray start --resources` JSON that advertises these images on a node."""
    return json.dumps({image_resource(tag): NODE_IMAGE_QUANTITY for tag in sorted(set(tags))})


def job_images(job: Job, default_image: str) -> set[str]:
    return {default_image, *([job.task.image] if isinstance(job, EvaluateJob) and job.task.image else [])}


def _one_line(exc: BaseException) -> str:
    cause = getattr(exc, "cause", None) or exc
    text = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {text[0] if text else ''}"[:500]


@dataclass
class _RayJob:
    generator: Any  # ray.ObjectRefGenerator
    cancelled: bool = False


class RayExecutor:
    """One Ray task per job; messages back through a queue, as LocalExecutor's (same contract)."""

    def __init__(self, context: JobContext, log_dir: Path, secret_env: tuple[str, ...] = (),
                 images: Iterable[str] = (), grace_s: float = KILL_GRACE_S) -> None:
        self.ray = import_ray()
        if not self.ray.is_initialized():
            raise DgmError("the Ray executor needs a connection to a cluster first (dgm.ray_executor.connect)")
        self.context, self.log_dir, self.secret_env, self.grace_s = context, log_dir, secret_env, grace_s
        config = RunConfig.model_validate_json(context.config_json)
        self.default_image = config.sandbox.image
        self.require_images({self.default_image, *images})
        self._remote = self.ray.remote(num_returns="streaming", max_retries=0, num_cpus=1)(run_job)
        self.listener = BridgeListener(self.ray.util.get_node_ip_address(), config.limits.max_connections)
        self._queue: queue.Queue[Message] = queue.Queue()
        self._jobs: dict[str, _RayJob] = {}
        self._lock = threading.Condition()  # notified whenever a job leaves the table
        self._packs: OrderedDict[str, Any] = OrderedDict()  # commit -> ObjectRef of its pack
        self._tasks: dict[tuple[str, str], tuple[Any, dict[str, str]]] = {}  # (id, hash) -> (ObjectRef, layout)
        lost = self.ray.exceptions
        self._lost = (lost.NodeDiedError, lost.WorkerCrashedError, lost.ObjectLostError, lost.LocalRayletDiedError)

    # -- the Executor contract ------------------------------------------------------------------------
    def submit(self, job: Job) -> None:
        self.require_images(job_images(job, self.default_image))
        task_ref, layout = self._task(job.task) if isinstance(job, EvaluateJob) else (None, None)
        packs = [self._pack(c) for c in _commits(job)]
        tokens = {name: self.listener.allow(job.job_id, str(Path(channel.socket_dir) / SOCKET_NAME))
                  for name, channel in _channels(job).items()}
        spec = {"job": dump_job(job, self.context), "task": layout, "tokens": tokens, "bridge": list(self.listener.address),
                "max_connections": self.listener.max_connections, "secret_env": list(self.secret_env), "grace_s": self.grace_s}
        resources = {image_resource(tag): JOB_IMAGE_SHARE for tag in job_images(job, self.default_image)}
        generator = self._remote.options(resources=resources, name=job.job_id).remote(spec, task_ref, *packs)
        with self._lock:
            self._jobs[job.job_id] = _RayJob(generator)
        threading.Thread(target=self._follow, args=(job.job_id, generator), name=f"dgm-ray-{job.job_id}", daemon=True).start()

    def messages(self, timeout_s: float) -> list[Message]:
        return drain(self._queue, timeout_s)

    def kill(self, job_id: str) -> None:
        entry = self._cancel(job_id, force=False)
        if entry is not None:
            timer = threading.Timer(self.grace_s + FORCE_MARGIN_S, self._force, (job_id, entry))
            timer.daemon = True
            timer.start()

    def kill_all(self, grace_s: float = KILL_GRACE_S) -> None:
        deadline = time.monotonic() + grace_s
        if grace_s > 0:
            for job_id in self.running():
                self._cancel(job_id, force=False)  # the node stops the job (SIGTERM, then SIGKILL)
            with self._lock:
                while self._jobs and self._lock.wait(max(0.0, deadline - time.monotonic())):
                    pass
        for job_id in self.running():
            self._cancel(job_id, force=True)  # its worker is killed; the job runner gets SIGTERM with it
        with self._lock:
            self._lock.wait_for(lambda: not self._jobs, timeout=REAP_WAIT_S + FORCE_MARGIN_S)

    def running(self) -> list[str]:
        with self._lock:
            return list(self._jobs)

    # -- the rest -------------------------------------------------------------------------------------
    def require_images(self, images: Iterable[str]) -> None:
        """One clear line when no live node advertises an image a job needs."""
        have = self.ray.cluster_resources()
        for tag in sorted(images):
            if have.get(image_resource(tag), 0) <= 0:
                raise DgmError(f"no Ray node has the image {tag}: build it on a node (dgm setup) and join it with "
                               f"`dgm setup --ray ADDRESS` or `ray start --address ADDRESS --resources "
                               f"'{image_resources([tag])}'` (docs/CLUSTER.md)")

    def close(self) -> None:
        """End any job still running and stop the bridge (the Ray connection is the caller's)."""
        if self.running():
            self.kill_all(0.0)
        self.listener.close()
        self._packs.clear()
        self._tasks.clear()

    def _cancel(self, job_id: str, force: bool) -> _RayJob | None:
        with self._lock:
            entry = self._jobs.get(job_id)
            if entry is None or (entry.cancelled and not force):
                return None
            entry.cancelled = True
        self.ray.cancel(entry.generator, force=force)
        return entry

    def _force(self, job_id: str, entry: _RayJob) -> None:
        with self._lock:
            if self._jobs.get(job_id) is not entry:
                return
        self.ray.cancel(entry.generator, force=True)

    def _follow(self, job_id: str, generator: Any) -> None:
        """The job's messages into the queue as they come, then its end: how it exited, or why it was lost."""
        end: dict[str, Any] = {"type": EXITED, "code": None}
        try:
            for ref in generator:
                body = self.ray.get(ref)
                if body.get("type") == EXITED:
                    self._log(job_id, f"[ran on Ray node {body.pop('node', '?')}]\n{body.pop('stderr', '')}")
                    end = body
                else:
                    self._queue.put(Message(job_id, body))
        except self.ray.exceptions.TaskCancelledError:
            end["code"] = -signal.SIGTERM
        except self._lost as exc:
            if self._was_cancelled(job_id):
                end["code"] = -signal.SIGKILL  # its worker was killed by our own force
            else:
                end["lost"] = _one_line(exc)
        except Exception as exc:  # noqa: BLE001 - the job could not run here (our node code failed): a failure
            self._queue.put(Message(job_id, {"type": "failed", "error": f"on its Ray node: {_one_line(exc)}"}))
            end["code"] = 1
        finally:
            with self._lock:
                self._jobs.pop(job_id, None)
                self._lock.notify_all()
            self.listener.revoke(job_id)
            self._queue.put(Message(job_id, end))

    def _was_cancelled(self, job_id: str) -> bool:
        with self._lock:
            entry = self._jobs.get(job_id)
            return entry is not None and entry.cancelled

    def _log(self, job_id: str, text: str) -> None:
        """The job's log (its standard error, after the node it ran on), as a local job's is."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_dir / f"{job_id.replace(':', '-')}.log", "a", encoding="utf-8") as log:
            log.write(text)

    def _pack(self, commit: str) -> Any:
        """The commit's objects, put in the object store once (and kept for the most recent commits)."""
        ref = self._packs.get(commit)
        if ref is None:
            ref = self.ray.put(pack_commits(Path(self.context.agents_git), [commit]))
            self._packs[commit] = ref
            while len(self._packs) > PACK_CACHE:
                self._packs.popitem(last=False)
        self._packs.move_to_end(commit)
        return ref

    def _task(self, task: Task) -> tuple[Any, dict[str, str]]:
        """The task's folders as one tar in the object store (once per content) and where they lie in it."""
        key = (task.id, task.content_hash())
        if key not in self._tasks:
            data, layout = task_archive(task)
            self._tasks[key] = (self.ray.put(data), layout)
        return self._tasks[key]


def task_archive(task: Task) -> tuple[bytes, dict[str, str]]:
    """A tar of the task's root (and of its repository and hidden files, where they lie outside it),
    and the layout a node needs to find them: each folder's path inside, and the content's hash."""
    buffer = io.BytesIO()
    layout: dict[str, str] = {"root": "root"}
    skip = lambda info: None if "__pycache__" in Path(info.name).parts else info  # noqa: E731
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(task.root, arcname="root", filter=skip)
        for name in ("repo_dir", "hidden_dir"):
            folder: Path = getattr(task, name)
            if folder.resolve().is_relative_to(task.root.resolve()):
                layout[name] = (Path("root") / folder.resolve().relative_to(task.root.resolve())).as_posix()
            else:
                layout[name] = name
                if folder.exists():
                    tar.add(folder, arcname=name, filter=skip)
    data = buffer.getvalue()
    layout["key"] = hashlib.sha256(data).hexdigest()[:32]
    return data, layout


def _commits(job: Job) -> list[str]:
    if isinstance(job, EvaluateJob):
        return [job.commit]
    return list(dict.fromkeys(c for c in (job.parent_commit, job.editor_commit, job.child_commit) if c))


def _channels(job: Job) -> dict[str, Any]:
    if isinstance(job, EvaluateJob):
        return {"channel": job.channel}
    return {"diagnose_channel": job.diagnose_channel, "edit_channel": job.edit_channel}


def connect(address: str) -> bool:
    """Join the Ray cluster at ``address`` ("auto": the one this machine is part of) as its driver.
    False when this process is connected already (the caller then leaves the connection alone)."""
    ray = import_ray()
    if ray.is_initialized():
        return False
    try:
        ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING, configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        first = (str(exc).strip().splitlines() or [""])[0]
        raise DgmError(f"cannot join the Ray cluster at {address}: {first} (start one with `ray start --head`, "
                       f"docs/CLUSTER.md)") from None
    return True


def disconnect() -> None:
    import_ray().shutdown()
