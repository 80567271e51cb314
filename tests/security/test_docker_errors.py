"""An error of the Docker client (requests, urllib3, docker-py) during one container run is that
run's SandboxError and nothing else's: a run beside it finishes normally, and the shared client
keeps serving other threads while a copy-back stream stands half read."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
import pytest

from dgm.errors import SandboxError
from sandbox.container import DockerSandbox, Mount, wait_or_kill

pytestmark = pytest.mark.docker
WAIT_FOR_GO = "touch /sync/started-$0; until [ -e /sync/go ]; do sleep 0.05; done; echo beside-done"


def _wait_for(predicate: Callable[[], Any], timeout_s: float) -> Any:
    # Polls a condition with a deadline: synchronisation on the state itself, not on a guess of time.
    deadline = time.monotonic() + timeout_s
    while not (value := predicate()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
    return value


class Beside:
    """A run in another thread that holds its container until ``release()``: proof that it was
    running all through what the test does meanwhile, and that it still ends normally."""

    def __init__(self, box: DockerSandbox, tmp_path: Path) -> None:
        self.sync = tmp_path / f"sync-{uuid.uuid4().hex[:8]}"
        self.sync.mkdir()
        self.sync.chmod(0o777)
        self.outcome: dict[str, Any] = {}
        self._thread = threading.Thread(target=self._run, args=(box,))
        self._thread.start()
        _wait_for(lambda: any(self.sync.glob("started-*")) or self.outcome, 60)

    def _run(self, box: DockerSandbox) -> None:
        try:
            self.outcome["result"] = box.run(["bash", "-c", WAIT_FOR_GO, "beside"], timeout_s=120,
                                             mounts=[Mount(self.sync, "/sync", read_only=False)])
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            self.outcome["error"] = exc

    def release(self) -> None:
        (self.sync / "go").touch()
        self._thread.join()
        assert "error" not in self.outcome, self.outcome.get("error")
        result = self.outcome["result"]
        assert result.ok and "beside-done" in result.output, result


@pytest.fixture()
def box(docker_client, sandbox_config):
    sandbox = DockerSandbox(docker_client, sandbox_config, labels={"dgm.test": "1"})
    yield sandbox
    sandbox.close()


def test_a_container_removed_under_its_run_fails_that_run_only(box, docker_client, tmp_path):
    beside = Beside(box, tmp_path)
    case = uuid.uuid4().hex
    outcome: dict[str, Any] = {}

    def victim() -> None:
        try:
            outcome["result"] = box.run(["sleep", "120"], timeout_s=180, labels={"dgm.case": case},
                                        outputs={"/tmp": tmp_path / "never"})
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome["error"] = exc

    thread = threading.Thread(target=victim)
    start = time.monotonic()
    thread.start()
    try:
        running_filter = {"label": f"dgm.case={case}", "status": "running"}
        [running] = _wait_for(lambda: docker_client.api.containers(filters=running_filter), 60)
        docker_client.api.remove_container(running["Id"], force=True)
        thread.join()
    finally:
        beside.release()
    assert time.monotonic() - start < 60  # not the 120 s of its command
    error = outcome.get("error")
    assert isinstance(error, SandboxError) or outcome["result"].error, outcome
    assert error is None or type(error) is SandboxError and str(error), repr(error)  # no requests/docker-py type leaks
    assert not (tmp_path / "never").exists()


def test_a_client_that_times_out_fails_its_own_runs_and_no_other(box, docker_client, sandbox_config, tmp_path):
    beside = Beside(box, tmp_path)
    case = uuid.uuid4().hex
    hasty = DockerSandbox(docker.from_env(timeout=0.001, version=docker_client.api.api_version), sandbox_config,
                          labels={"dgm.test": "1", "dgm.case": case})
    try:
        with pytest.raises(SandboxError, match="cannot create a container: .*(Timeout|timed out)"):
            hasty.run(["true"], timeout_s=30)
    finally:
        beside.release()
        for entry in docker_client.api.containers(all=True, filters={"label": f"dgm.case={case}"}):
            docker_client.api.remove_container(entry["Id"], force=True)  # made by the engine after the client gave up


def test_wait_or_kill_waits_through_the_read_timeouts_of_its_slices(docker_client, sandbox_config):
    container = docker_client.containers.run(sandbox_config.image, ["sleep", "3"], detach=True, labels={"dgm.test": "1"})
    try:
        start = time.monotonic()
        assert wait_or_kill(container, 30) == (False, 0)  # three 1-s slices time out on the way
        assert 2.5 < time.monotonic() - start < 20
    finally:
        container.remove(force=True)


def test_a_half_read_archive_stream_starves_no_other_thread(docker_client, sandbox_config, tmp_path):
    # A client with a pool of one connection: the stream below holds it, unread, while a whole run
    # (create, copy in, start, wait, logs, copy out, remove) goes through the same client.
    client = docker.from_env(timeout=60, max_pool_size=1)
    source = client.containers.run(sandbox_config.image, ["head", "-c", "64M", "/dev/zero"], detach=True,
                                   labels={"dgm.test": "1"})
    try:
        source.wait(timeout=60)
        stream, _ = source.get_archive("/etc")
        next(stream)  # the connection is taken and the response is far from read
        other = DockerSandbox(client, sandbox_config, labels={"dgm.test": "1"})
        (tmp_path / "in").mkdir()
        (tmp_path / "in" / "a.txt").write_text("in")
        result = other.run(["bash", "-c", "cat /repo/a.txt && echo out > /repo/b.txt"], timeout_s=60,
                           inputs={"/repo": tmp_path / "in"}, outputs={"/repo": tmp_path / "out"})
        assert result.ok and result.output.strip() == "in" and (tmp_path / "out" / "b.txt").read_text() == "out\n"
        other.close()
        stream.close()
    finally:
        source.remove(force=True)
