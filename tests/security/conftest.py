"""Shared fixtures for the hostile-agent suites: sandboxes with tight limits, and a sandbox run watched
from the host while it goes on (the engine's events for its container, the container's processes as
the host sees them, its cgroup files, its log), so a test asserts containment where it is enforced
rather than taking the contained code's word for it."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from docker.errors import NotFound

from sandbox.container import DockerSandbox, RunResult

CASE_LABEL = "dgm.case"
CGROUP_ROOT = Path("/sys/fs/cgroup")


@pytest.fixture()
def make_sandbox(docker_client, sandbox_config) -> Callable[..., DockerSandbox]:
    """``make_sandbox(pids=32, memory="128m", ...)``: a DockerSandbox whose config has those fields
    changed; closed (its containers removed) after the test."""
    boxes: list[DockerSandbox] = []

    def make(**config: Any) -> DockerSandbox:
        box = DockerSandbox(docker_client, sandbox_config.model_copy(update=config), labels={"dgm.test": "1"})
        boxes.append(box)
        return box

    yield make
    for box in boxes:
        box.close()


@dataclass(frozen=True)
class HostProcess:
    """A process as the host's /proc shows it."""

    pid: int
    uid: int  # effective
    argv: list[str]
    threads: int
    status: dict[str, str]


def host_processes(match: Callable[[int, list[str], str], bool]) -> list[HostProcess]:
    """The host's processes for which ``match(pid, argv, cgroup_text)`` holds (ones that exit while
    we look are left out)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            argv = Path(entry.path, "cmdline").read_bytes().decode("utf-8", "replace").split("\0")[:-1]
            cgroup = Path(entry.path, "cgroup").read_text()
            if not match(int(entry.name), argv, cgroup):
                continue
            status = dict(line.split(":\t", 1) for line in Path(entry.path, "status").read_text().splitlines() if ":\t" in line)
            threads = len(os.listdir(Path(entry.path, "task")))
        except (FileNotFoundError, ProcessLookupError):
            continue
        found.append(HostProcess(int(entry.name), int(status["Uid"].split()[1]), argv, threads,
                                 {k: v.strip() for k, v in status.items()}))
    return found


def host_task_count() -> int:
    """Every task (process or thread) on the host, as /proc counts them."""
    total = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                total += len(os.listdir(Path(entry.path, "task")))
            except (FileNotFoundError, ProcessLookupError):
                pass
    return total


def _shows(pid: int, container_id: str) -> bool:
    try:
        return container_id in Path(f"/proc/{pid}/cgroup").read_text()
    except OSError:
        return False


class WatchedRun:
    """One ``DockerSandbox.run`` going on in a worker thread, seen from the host.

    Subscribes to the engine's events for a label of its own before the container exists (``since``
    replays the ones of the first second, so none is missed), starts the run, and returns once the
    engine reports the container started. ``finish()`` waits for the run and for the engine's
    ``destroy`` event: a container that is never removed fails the test at ``until``.
    """

    def __init__(self, client, box: DockerSandbox, command: list[str], **run_kwargs: Any) -> None:
        self.client = client
        self.case = uuid.uuid4().hex
        self.events: list[dict[str, Any]] = []
        self.result: RunResult | None = None
        self.error: BaseException | None = None
        self.container_id = ""
        self.host_pid = 0
        run_kwargs["labels"] = {**run_kwargs.get("labels", {}), CASE_LABEL: self.case}
        wall = run_kwargs.get("timeout_s") or box.config.agent_timeout_s
        now = int(time.time())
        self._stream = client.events(decode=True, since=now - 1, until=now + int(wall) + 90,
                                     filters={"type": "container", "label": [f"{CASE_LABEL}={self.case}"]})
        self._events = iter(self._stream)
        self._thread = threading.Thread(target=self._run, args=(box, command, run_kwargs), name=f"watched-{self.case[:8]}")
        self._thread.start()
        start = self._next_event("start")
        self.container_id = start["id"]
        self.host_pid = int(client.api.inspect_container(self.container_id)["State"]["Pid"])
        if not _shows(self.host_pid, self.container_id):
            reason = "the engine's processes are not in this host's /proc (a remote or VM engine)"
            if os.environ.get("DGM_REQUIRE_DOCKER") == "1":
                pytest.fail(reason)
            pytest.skip(reason)

    def _run(self, box: DockerSandbox, command: list[str], run_kwargs: dict[str, Any]) -> None:
        try:
            self.result = box.run(command, **run_kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            self.error = exc
            self._stream.close()  # wakes a test thread that waits for an event that will not come

    def _next_event(self, status: str) -> dict[str, Any]:
        try:
            for event in self._events:
                self.events.append(event)
                if event.get("status") == status:
                    return event
        except Exception:  # noqa: BLE001 - the stream closed under us because the run failed
            if self.error is None:
                raise
        if self.error is not None:
            raise self.error
        raise AssertionError(f"the engine never reported {status!r}; events: {[e.get('status') for e in self.events]}")

    def statuses(self) -> list[str]:
        return [str(e.get("status")) for e in self.events]

    def wait_for_line(self, needle: str) -> str:
        """The container's log, followed live, up to the end of the first line that holds ``needle``."""
        seen = ""
        try:
            stream = self.client.api.logs(self.container_id, stream=True, follow=True, stdout=True, stderr=True)
        except NotFound:
            raise AssertionError(f"the container was gone before it wrote {needle!r}") from None
        try:
            for chunk in stream:
                seen += chunk.decode("utf-8", "replace")
                if needle in seen and "\n" in seen[seen.index(needle):]:
                    return seen
        finally:
            stream.close()
        raise AssertionError(f"the container ended without writing {needle!r}: {seen[-2000:]}")

    def processes(self) -> list[HostProcess]:
        """The container's processes as the host sees them (every process whose cgroup names it)."""
        return host_processes(lambda pid, argv, cgroup: self.container_id in cgroup)

    def cgroup_file(self, controller: str, name: str) -> Path:
        """A cgroup file of the container on the host (cgroup v1 or v2)."""
        for line in Path(f"/proc/{self.host_pid}/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if controller in controllers.split(","):
                return CGROUP_ROOT / controller / path.lstrip("/") / name
            if controllers == "" and (CGROUP_ROOT / path.lstrip("/") / name).exists():
                return CGROUP_ROOT / path.lstrip("/") / name
        raise AssertionError(f"no {controller} cgroup for the container's pid {self.host_pid}")

    def finish(self) -> RunResult:
        """Wait for the run to return and the engine to destroy the container; the run's result."""
        self._thread.join()
        if self.error is not None:
            raise self.error
        try:
            self._next_event("destroy")
        finally:
            self._stream.close()
        assert self.result is not None
        return self.result


class HostView:
    """The host's processes, for tests that look for what a container left behind."""

    processes = staticmethod(host_processes)
    task_count = staticmethod(host_task_count)


@pytest.fixture()
def host_view() -> HostView:
    return HostView()


@pytest.fixture()
def watch_run(docker_client) -> Callable[..., WatchedRun]:
    """``watch_run(box, command, **run_kwargs)``: a WatchedRun, started; its thread is joined after
    the test even when an assertion stopped the test first."""
    runs: list[WatchedRun] = []

    def start(box: DockerSandbox, command: list[str], **run_kwargs: Any) -> WatchedRun:
        run = WatchedRun(docker_client, box, command, **run_kwargs)
        runs.append(run)
        return run

    yield start
    for run in runs:
        run._thread.join()
        run._stream.close()


@dataclass
class ModelRig:
    """A real gateway holding a real API key in front of a real (scripted) upstream."""

    gateway: Any  # dgm.gateway.Gateway, started
    upstream: Any  # dgm.models.scripted.ScriptedModelServer, started
    api_key: str
    config: Any  # dgm.config.RunConfig pointing at the upstream, with the sandbox's test config
    archive: Any  # archive_db.Archive recording the calls


@pytest.fixture()
def model_gateway(tmp_path_factory, sandbox_config) -> ModelRig:
    """A started Gateway (one attempt's Unix socket) whose ModelClient holds a fresh secret API key,
    in front of a ScriptedModelServer that answers "hello from the host" (and an upstream error to
    a request that contains "upstream-error-please")."""
    import secrets

    from archive_db import Archive
    from dgm.config import LimitsConfig, ModelConfig, RunConfig
    from dgm.gateway import Gateway
    from dgm.model_client import CallContext, ModelClient
    from dgm.models.scripted import ScriptedModelServer

    api_key = "sk-dgm-" + secrets.token_hex(20)
    archive = Archive.in_dir(tmp_path_factory.mktemp("gateway-run"))
    run = archive.create_run("containment", "{}", "0")
    script = {"rule": [
        {"name": "error", "match": {"contains": ["upstream-error-please"]},
         "error": {"status": 401, "message": "Incorrect API key provided", "type": "authentication_error"}},
        {"name": "hello", "reply": {"content": "hello from the host"}},
    ]}
    with ScriptedModelServer(script) as upstream:
        config = RunConfig(model=ModelConfig(base_url=upstream.base_url, agent_model="m", max_retries=0), sandbox=sandbox_config)
        client = ModelClient(config.model, api_key, archive)
        try:
            with Gateway(client, CallContext(run.id, None, "containment", "solve"), "m", LimitsConfig()) as gateway:
                yield ModelRig(gateway, upstream, api_key, config, archive)
        finally:
            client.close()
            archive.close()
