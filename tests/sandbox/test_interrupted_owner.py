"""A host process killed with -9 cannot clean up; the next `dgm cleanup` (or `dgm run`) must."""

import subprocess
import sys
import textwrap
import time
import uuid

import pytest

pytestmark = pytest.mark.docker

OWNER = textwrap.dedent('''
    import sys
    from dgm.config import SandboxConfig
    from sandbox import DockerSandbox, docker_client
    box = DockerSandbox(docker_client(), SandboxConfig(), labels={"dgm.case": sys.argv[1]})
    box.run(["sleep", "300"], timeout_s=300)
''')


def _wait_for(predicate, timeout_s: float):
    # Polls a condition with a deadline: synchronisation on the state itself, not on a guess of time.
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_cleanup_removes_containers_of_a_killed_process(docker_client):
    case = uuid.uuid4().hex
    owner = subprocess.Popen([sys.executable, "-c", OWNER, case])
    try:
        running = _wait_for(lambda: docker_client.containers.list(filters={"label": f"dgm.case={case}", "status": "running"}), 60)
    finally:
        owner.kill()
        owner.wait()
    assert len(running) == 1  # still running: nothing on the host could stop it
    proc = subprocess.run([sys.executable, "-m", "dgm", "cleanup"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert docker_client.containers.list(all=True, filters={"label": f"dgm.case={case}"}) == []
