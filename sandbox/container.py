"""One fresh container per command: copy inputs in, run with hard limits, copy outputs out, remove.

Isolation: ``network_mode=none`` (loopback only), an unprivileged user, all capabilities dropped,
no-new-privileges, memory/CPU/pid limits, bounded logs. The wall-time limit kills the container,
which ends every process inside it (the whole tree, not just the one we started).
"""

from __future__ import annotations

import atexit
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import requests
from docker.errors import APIError, NotFound
from docker.types import LogConfig

from dgm.config import SandboxConfig
from dgm.errors import SandboxError
from sandbox.image import MANAGED_LABEL
from sandbox.tario import extract_tar, tar_directory

SANDBOX_UID = 1000
OWNER_LABEL = "dgm.owner_pid"
MAX_LOG_BYTES = 2_000_000
WAIT_SLICE_S = 1.0


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
    ) -> RunResult:
        """Run ``command`` in a fresh container.

        inputs: container directory -> host directory whose contents are copied there (without .git).
        outputs: container directory -> host directory that receives its contents afterwards
        (safely: no .git, no links outside, no device files, bounded size).
        image: the image to start from (a benchmark's toolchain image); default: the configured one.
        """
        timeout_s = timeout_s or self.config.agent_timeout_s
        container = self._create(image or self.config.image, command, mounts or [], env or {}, workdir, labels or {})
        start = time.monotonic()
        try:
            for target, source in (inputs or {}).items():
                container.put_archive("/", tar_directory(source, target.strip("/"), uid=SANDBOX_UID))
            container.start()
            timed_out, exit_code = wait_or_kill(container, timeout_s)
            output = container.logs(stdout=True, stderr=True, tail=5000)[-MAX_LOG_BYTES:].decode("utf-8", "replace")
            error = None
            for source, dest in (outputs or {}).items():
                try:
                    stream, _ = container.get_archive(source.rstrip("/") + "/.")
                    extract_tar(stream, dest)
                except NotFound:
                    error = f"{source} does not exist in the container"
                except SandboxError as exc:
                    error = str(exc)
            return RunResult(exit_code, output, timed_out, time.monotonic() - start, error)
        except APIError as exc:
            raise SandboxError(f"docker failed: {exc.explanation or exc}") from None
        finally:
            self._remove(container)

    def _create(self, image: str, command: list[str], mounts: list[Mount], env: dict[str, str], workdir: str, labels: dict[str, str]):
        with self._lock:
            if self._closed:
                # After an interrupt, worker threads must not start new containers behind our back.
                raise SandboxError("the sandbox is shutting down")
        name = f"dgm-{uuid.uuid4().hex[:12]}"
        all_labels = {MANAGED_LABEL: "1", OWNER_LABEL: str(os.getpid()), **self.labels, **labels}
        try:
            container = self.client.containers.create(
                image,
                command=command,
                name=name,
                labels=all_labels,
                network_mode="none",
                user=f"{SANDBOX_UID}:{SANDBOX_UID}",
                working_dir=workdir,
                environment=env,
                volumes={str(m.host): {"bind": m.target, "mode": "ro" if m.read_only else "rw"} for m in mounts},
                mem_limit=self.config.memory,
                memswap_limit=self.config.memory,  # no swap beyond the memory limit
                nano_cpus=int(self.config.cpus * 1e9),
                pids_limit=self.config.pids,
                cap_drop=["ALL"],
                security_opt=["no-new-privileges"],
                init=True,  # a real PID 1 reaps zombies and forwards the kill
                log_config=LogConfig(type="json-file", config={"max-size": "10m", "max-file": "1"}),
                detach=True,
            )
        except docker.errors.ImageNotFound:
            raise SandboxError(f"sandbox image {image} is missing; run `dgm setup` (see `dgm setup --help` for benchmark images)") from None
        except APIError as exc:
            raise SandboxError(f"cannot create a container: {exc.explanation or exc}") from None
        with self._lock:
            closed = self._closed
            if not closed:
                self._live.add(container.id)
        if closed:  # close() ran while we were creating it
            container.remove(force=True)
            raise SandboxError("the sandbox is shutting down")
        return container

    def _remove(self, container) -> None:
        try:
            container.remove(force=True)
        except NotFound:
            pass
        except APIError:
            return  # left for `dgm cleanup`; it carries our labels
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
    the kernel delivered to another thread, so Ctrl-C/SIGTERM could wait for the container.
    """
    deadline = time.monotonic() + timeout_s
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            status = container.wait(timeout=min(remaining, WAIT_SLICE_S))
            return False, int(status.get("StatusCode", -1))
        except requests.exceptions.ConnectionError as exc:
            # docker-py reports a read timeout on its Unix socket as a ConnectionError; anything
            # else means the engine itself is gone, and retrying would only spin.
            if isinstance(exc, requests.exceptions.ReadTimeout) or "timed out" in str(exc):
                continue
            raise SandboxError(f"lost the Docker engine while waiting for a container: {exc}") from None
    # Killing the container ends the whole process tree inside it.
    try:
        container.kill()
    except APIError:
        pass
    return True, None


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
        except (NotFound, APIError):
            pass  # gone already, or being removed by its owner
    return removed


def remove_owned(client: docker.DockerClient) -> int:
    """Remove every dgm container this process created: the last sweep before a hard exit, for one
    whose creation was still on its way to the engine when the sandbox closed."""
    return _remove_listed(client, {OWNER_LABEL: str(os.getpid())})


def cleanup_leftovers(client: docker.DockerClient, everything: bool = False) -> int:
    """Remove dgm containers whose owning process is gone (all of them with everything=True)."""

    def keep(entry: dict[str, Any]) -> bool:
        owner = (entry.get("Labels") or {}).get(OWNER_LABEL, "")
        return not everything and owner.isdigit() and (int(owner) == os.getpid() or _pid_alive(int(owner)))

    return _remove_listed(client, {MANAGED_LABEL: "1"}, keep)
