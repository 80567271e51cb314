"""One fresh container per command: copy inputs in, run with hard limits, copy outputs out, remove.
(`run_steps` runs several trusted commands in one instead: sandbox/steps.py.)

Isolation: ``network_mode=none`` (loopback only), an unprivileged user, all capabilities dropped,
no-new-privileges, memory/CPU/pid limits, bounded logs. The wall-time limit kills the container,
which ends every process inside it (the whole tree, not just the one we started).

Every command runs under a second seccomp filter stacked on the engine's default profile (seccomp.py:
no fallocate, no io_uring). Disk: no single file may pass ``disk`` (RLIMIT_FSIZE), and a watch
measures the container's files while it runs and kills it past ``disk`` in total (disk.py); the
engine's own per-container quota is used as well where it has one. Copy-back is bounded in files,
bytes, depth and time (tario.py). Every error of the Docker client during a run is that run's
SandboxError, never another thread's.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import requests
import urllib3
from docker.errors import APIError, DockerException, NotFound
from docker.types import LogConfig, Ulimit

from kernel.errors import SandboxError
from sandbox.config import SandboxConfig
from sandbox.disk import DiskWatch, layer_meter, stop_for_disk
from sandbox.image import MANAGED_LABEL
from sandbox.seccomp import wrap
from sandbox.steps import OUT, Step, driver_command, read_results, steps_archive
from sandbox.tario import OutputLimits, extract_tar, human_size, remove_tree, scratch_dir, tar_directory

SANDBOX_UID = 1000
OWNER_LABEL = "dgm.owner_pid"
MAX_LOG_BYTES = 2_000_000
LOG_TAIL_LINES = 5000  # a command's output kept: its last lines, then its last MAX_LOG_BYTES of those
WAIT_SLICE_S = 1.0
# Whatever the Docker client, requests or urllib3 can raise while talking to the engine.
DOCKER_ERRORS = (DockerException, requests.RequestException, urllib3.exceptions.HTTPError, OSError)
COPY_READ_TIMEOUT_S = 30.0  # one read of a copy-back stream; the whole copy has OutputLimits.seconds
COPY_CHUNK_BYTES = 1024 * 1024
_HARD_QUOTA: dict[str, bool] = {}  # engine -> whether it takes `storage_opt size` (probed once)


@dataclass(frozen=True)
class Mount:
    """A host directory bind-mounted into the container (used for the model gateway's socket)."""

    host: Path
    target: str
    read_only: bool = True


@dataclass
class RunResult:
    exit_code: int | None
    output: str
    timed_out: bool
    duration_s: float
    error: str | None = None
    disk_used: int | None = None  # bytes its files took when the disk limit stopped it

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and self.error is None


@dataclass
class DockerSandbox:
    """Runs commands in throwaway containers. Thread-safe: workers share one instance."""

    client: docker.DockerClient
    config: SandboxConfig
    labels: dict[str, str] = field(default_factory=dict)
    _live: set[str] = field(default_factory=set, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _closed: bool = field(default=False, init=False)
    _image_ids: dict[str, str] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        atexit.register(self.close)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def hard_disk_quota(self) -> bool | None:
        """Whether the engine enforces ``disk`` itself (None: not known before the first run)."""
        return _HARD_QUOTA.get(self.client.api.base_url)

    def image_id(self, image: str | None = None) -> str:
        """The content id of an image (default: the configured one), so caches know when it changed."""
        tag = image or self.config.image
        if tag not in self._image_ids:
            try:
                self._image_ids[tag] = self.client.images.get(tag).id
            except docker.errors.ImageNotFound:
                raise SandboxError(f"sandbox image {tag} is missing; run `dgm setup` (see `dgm setup --help`)") from None
        return self._image_ids[tag]

    def run(
        self,
        command: list[str],
        *,
        inputs: dict[str, Path] | None = None,
        outputs: dict[str, Path] | None = None,
        mounts: list[Mount] | None = None,
        env: dict[str, str] | None = None,
        timeout_s: float | None = None,
        workdir: str = "/",
        labels: dict[str, str] | None = None,
        image: str | None = None,
        archives: list[bytes] | None = None,
    ) -> RunResult:
        """Run ``command`` in a fresh container.

        inputs: container directory -> host directory whose contents are copied there (without .git).
        outputs: container directory -> host directory that receives its contents afterwards
        (safely: no .git, no links outside, no device files, bounded files, bytes, depth and time;
        a refused tree is not written, and ``error`` says why).
        image: the image to start from (a benchmark's toolchain image); default: the configured one.
        archives: tar streams extracted at / before the start, owners and modes as they are in the
        tar (the grader's root-owned, read-only tree).
        A container whose files pass ``config.disk`` is killed and its outputs are not copied.
        """
        timeout_s = timeout_s or self.config.agent_timeout_s
        container = self._create(image or self.config.image, command, mounts or [], env or {}, workdir, labels or {})
        start = time.monotonic()
        try:
            for target, source in (inputs or {}).items():
                container.put_archive("/", tar_directory(source, target.strip("/"), uid=SANDBOX_UID))
            for data in archives or []:
                container.put_archive("/", data)
            timed_out, exit_code, watch = self._start_watched(container, timeout_s)
            output = container.logs(stdout=True, stderr=True, tail=LOG_TAIL_LINES)[-MAX_LOG_BYTES:].decode("utf-8", "replace")
            if watch.exceeded is not None:
                used = watch.final()
                return RunResult(exit_code, output, timed_out, time.monotonic() - start, self._disk_error(used), used)
            error = self._copy_out(container, outputs or {})
            return RunResult(exit_code, output, timed_out, time.monotonic() - start, error)
        except DOCKER_ERRORS as exc:
            raise SandboxError(f"docker failed: {_describe(exc)}") from None
        finally:
            self._remove(container)

    def run_steps(self, steps: list[Step], *, image: str | None = None, labels: dict[str, str] | None = None,
                  ) -> list[RunResult]:
        """Run trusted ``steps`` one after another in one container (sandbox/steps.py): each with its
        own files at their own paths, its own time limit and output, as the sandbox user, and nothing
        the step before left. Never for code an agent wrote: that gets a fresh container (``run``).
        A container killed at the disk limit fails every step with that reason."""
        if not steps:
            return []
        container = self._create(image or self.config.image,
                                 wrap(driver_command(steps, SANDBOX_UID, LOG_TAIL_LINES, MAX_LOG_BYTES)),
                                 [], {}, "/", labels or {}, user="0:0", cap_add=["SETUID", "SETGID"])
        start = time.monotonic()
        try:
            container.put_archive("/", steps_archive(steps))
            # Each step has its own limit inside; this one only bounds the driver's own work.
            timed_out, exit_code, watch = self._start_watched(container, sum(s.timeout_s for s in steps) + 30 * len(steps))
            driver_log = container.logs(stdout=True, stderr=True, tail=50).decode("utf-8", "replace")
            if watch.exceeded is not None:
                used = watch.final()
                return [RunResult(None, "", False, time.monotonic() - start, self._disk_error(used), used) for _ in steps]
            with scratch_dir("dgm-steps-") as out:
                error = self._copy_out(container, {OUT: out / "out"})
                results = read_results(out / "out", len(steps))
        except DOCKER_ERRORS as exc:
            raise SandboxError(f"docker failed: {_describe(exc)}") from None
        finally:
            self._remove(container)
        ended = "timed out" if timed_out else f"exited with {exit_code}"
        why = error or f"the step did not run: the steps' container {ended}: {driver_log.strip()[-300:]}"
        return [RunResult(r["exit_code"], r["output"], r["timed_out"], r["duration_s"], r["error"]) if r
                else RunResult(None, "", False, 0.0, why) for r in results]

    def _start_watched(self, container: Any, timeout_s: float) -> tuple[bool, int | None, DiskWatch]:
        """Start ``container`` under the disk watch and wait for it, killed at ``timeout_s``:
        (timed out, exit code, the stopped watch)."""
        container.start()
        meter = layer_meter(self.client, container)
        watch = DiskWatch(self.config.disk_bytes, meter, lambda: stop_for_disk(container, meter),
                          freeze=container.pause, thaw=container.unpause).start()
        try:
            timed_out, exit_code = wait_or_kill(container, timeout_s)
        finally:
            watch.stop()
        return timed_out, exit_code, watch

    def _disk_error(self, used: int) -> str:
        return (f"disk limit exceeded: the container wrote more than {human_size(self.config.disk_bytes)} "
                f"(sandbox.disk); its files took {human_size(used)} when it was stopped")

    def _copy_out(self, container, outputs: dict[str, Path]) -> str | None:
        """Copy each output folder back; whatever a failed copy wrote is removed (half a tree would
        read as deletions in the diff). Returns the first problem."""
        limits = OutputLimits(self.config.max_output_files, self.config.max_output_bytes, self.config.max_output_depth)
        error = None
        for source, dest in outputs.items():
            try:
                with _archive(self.client.api, container.id, source.rstrip("/") + "/.") as chunks:
                    extract_tar(chunks, dest, limits)
                continue
            except NotFound:
                problem = f"{source} does not exist in the container"
            except SandboxError as exc:
                problem = f"{source}: {exc}"
            except DOCKER_ERRORS as exc:
                problem = f"copying {source} back failed: {_describe(exc)}"
            remove_tree(dest)
            error = error or problem
        return error

    def _create(self, image: str, command: list[str], mounts: list[Mount], env: dict[str, str], workdir: str,
                labels: dict[str, str], user: str = f"{SANDBOX_UID}:{SANDBOX_UID}", cap_add: list[str] | None = None):
        with self._lock:
            if self._closed:
                # After an interrupt, worker threads must not start new containers behind our back.
                raise SandboxError("the sandbox is shutting down")
        name = f"dgm-{uuid.uuid4().hex[:12]}"
        all_labels = {MANAGED_LABEL: "1", OWNER_LABEL: str(os.getpid()), **self.labels, **labels}
        cfg = self.config
        try:
            container = self._create_with_quota(
                image,
                command=wrap(command),  # under our seccomp filter, on top of the engine's (seccomp.py)
                name=name,
                labels=all_labels,
                network_mode="none",
                user=user,
                working_dir=workdir,
                environment=env,
                volumes={str(m.host): {"bind": m.target, "mode": "ro" if m.read_only else "rw"} for m in mounts},
                mem_limit=cfg.memory,
                memswap_limit=cfg.memory,  # no swap beyond the memory limit
                nano_cpus=int(cfg.cpus * 1e9),
                pids_limit=cfg.pids,
                # No single file (sparse ones too) past the disk limit, a bounded number of open
                # files, and no core files (a crashing 2 GiB process would write one).
                ulimits=[Ulimit(name="fsize", soft=cfg.disk_bytes, hard=cfg.disk_bytes),
                         Ulimit(name="nofile", soft=cfg.max_open_files, hard=cfg.max_open_files),
                         Ulimit(name="core", soft=0, hard=0)],
                cap_drop=["ALL"],
                cap_add=cap_add or [],
                security_opt=["no-new-privileges"],
                init=True,  # a real PID 1 reaps zombies and forwards the kill
                log_config=LogConfig(type="json-file", config={"max-size": "10m", "max-file": "1"}),
                detach=True,
            )
        except docker.errors.ImageNotFound:
            raise SandboxError(f"sandbox image {image} is missing; run `dgm setup` "
                               "(see `dgm setup --help` for benchmark images)") from None
        except DOCKER_ERRORS as exc:
            _remove_named(self.client, name)  # the engine may have made it after all (a client timeout)
            raise SandboxError(f"cannot create a container: {_describe(exc)}") from None
        with self._lock:
            closed = self._closed
            if not closed:
                self._live.add(container.id)
        if closed:  # close() ran while we were creating it
            self._remove(container)
            raise SandboxError("the sandbox is shutting down")
        return container

    def _create_with_quota(self, image: str, **kwargs: Any):
        """Create with the engine's own hard disk quota where it has one (overlay2 on XFS with
        pquota, btrfs, zfs ...): probed by the first create on an engine, remembered after."""
        engine = self.client.api.base_url
        if _HARD_QUOTA.get(engine, True):
            try:
                container = self.client.containers.create(image, storage_opt={"size": str(self.config.disk_bytes)}, **kwargs)
                _HARD_QUOTA[engine] = True
                return container
            except APIError as exc:
                if isinstance(exc, docker.errors.ImageNotFound) or "storage" not in str(exc.explanation or exc).lower():
                    raise
                _HARD_QUOTA[engine] = False  # "--storage-opt is supported only for overlay over xfs ..."
        return self.client.containers.create(image, **kwargs)

    def _remove(self, container) -> None:
        try:
            container.remove(force=True)
        except NotFound:
            pass
        except DOCKER_ERRORS:
            return  # left for close() and `dgm cleanup`; it carries our labels
        with self._lock:
            self._live.discard(container.id)

    def remove_where(self, labels: dict[str, str]) -> int:
        """Remove this sandbox's containers carrying all of ``labels`` (the watchdog's kill); their
        runs end as if timed out. Returns how many were removed."""
        return _remove_listed(self.client, {**self.labels, **labels})

    def close(self) -> None:
        """Refuse new containers and remove every one this process still has (atexit, interrupts)."""
        with self._lock:
            self._closed = True
            live = list(self._live)
        for cid in live:
            try:
                self.client.containers.get(cid).remove(force=True)
            except Exception:  # noqa: BLE001 - best effort on the way out
                pass
            with self._lock:
                self._live.discard(cid)


def wait_or_kill(container: Any, timeout_s: float) -> tuple[bool, int | None]:
    """(timed out, exit code): wait for ``container``, killing it at the deadline.

    Waits in short slices: a thread blocked in one long socket read would not notice a signal that
    the kernel delivered to another thread, so Ctrl-C/SIGTERM could wait for the container. A slice
    that times out (requests says ReadTimeout or, from urllib3's retry path, a ConnectionError that
    "timed out") is just the next slice; every other client error is this container's SandboxError.
    """
    deadline = time.monotonic() + timeout_s
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            status = container.wait(timeout=min(remaining, WAIT_SLICE_S))
            return False, int(status.get("StatusCode", -1))
        except requests.exceptions.Timeout:
            continue
        except requests.exceptions.ConnectionError as exc:
            if "timed out" in str(exc):
                continue
            raise SandboxError(f"lost the Docker engine while waiting for a container: {_describe(exc)}") from None
        except NotFound:
            raise SandboxError("the container was removed while it ran") from None
        except DOCKER_ERRORS as exc:
            raise SandboxError(f"waiting for a container failed: {_describe(exc)}") from None
    _kill(container)  # killing the container ends the whole process tree inside it
    return True, None


def _kill(container: Any) -> None:
    try:
        container.kill()
    except DOCKER_ERRORS:
        pass  # exited or removed already


def _describe(exc: BaseException) -> str:
    text = getattr(exc, "explanation", None) or str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {str(text).splitlines()[0][:300]}"


@contextmanager
def _archive(api: Any, container_id: str, path: str) -> Iterator[Iterator[bytes]]:
    """The tar stream of ``path`` in a container, closed on the way out however the reading ended.

    Not docker-py's get_archive, for two reasons: its stream turns the socket's timeout off (one
    stalled read would hold this thread for ever), and a stream left half read makes the engine's
    removal of that container hang until the client gives up (measured: 120 s, then ReadTimeout).
    """
    response = api._get(api._url("/containers/{0}/archive", container_id), params={"path": path},
                        stream=True, headers={"Accept-Encoding": "identity"}, timeout=COPY_READ_TIMEOUT_S)
    try:
        api._raise_for_status(response)
        yield response.iter_content(COPY_CHUNK_BYTES)
    finally:
        response.close()


# -- leftovers ---------------------------------------------------------------------------------

def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _listed(client: docker.DockerClient, labels: dict[str, str]) -> list[dict[str, Any]]:
    # The low-level list: the high-level one inspects each container in turn, and fails on one that
    # another thread or process removes in the meantime.
    return client.api.containers(all=True, filters={"label": [f"{k}={v}" for k, v in labels.items()]})


def _remove_listed(client: docker.DockerClient, labels: dict[str, str], keep: Any = lambda entry: False) -> int:
    removed = 0
    for entry in _listed(client, labels):
        if keep(entry):
            continue
        try:
            client.api.remove_container(entry["Id"], force=True)
            removed += 1
        except DOCKER_ERRORS:
            pass  # gone already, or being removed by its owner
    return removed


def _remove_named(client: docker.DockerClient, name: str) -> None:
    try:
        client.api.remove_container(name, force=True)
    except DOCKER_ERRORS:
        pass


def remove_owned(client: docker.DockerClient) -> int:
    """Remove every dgm container this process created: the last sweep before a hard exit, for one
    whose creation was still on its way to the engine when the sandbox closed."""
    return _remove_listed(client, {OWNER_LABEL: str(os.getpid())})


def cleanup_leftovers(client: docker.DockerClient, everything: bool = False) -> int:
    """Remove dgm containers whose owning process is gone (all of them with everything=True).

    Our images carry `dgm.managed` themselves, so any container started from one has it; only the
    owner label, which every container a DockerSandbox makes carries, says a container is ours to
    judge. One without it (a user's `docker run` of our image, a test's) is left alone."""

    def keep(entry: dict[str, Any]) -> bool:
        owner = (entry.get("Labels") or {}).get(OWNER_LABEL)
        if everything:
            return False
        if owner is None or not owner.isdigit():
            return True
        return int(owner) == os.getpid() or _pid_alive(int(owner))

    return _remove_listed(client, {MANAGED_LABEL: "1"}, keep)
