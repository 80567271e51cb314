"""The isolation promises, checked against a real Docker engine."""

import os
import subprocess

import pytest

from sandbox.container import OWNER_LABEL, DockerSandbox, cleanup_leftovers
from sandbox.image import MANAGED_LABEL

pytestmark = pytest.mark.docker


def _containers(client, **labels):
    filters = {"label": [f"{k}={v}" for k, v in labels.items()]}
    return client.containers.list(all=True, filters=filters)


def test_only_loopback_no_routes_and_unprivileged(sandbox):
    script = ("cat /proc/net/dev; echo ROUTES; tail -n +2 /proc/net/route; tail -n +2 /proc/net/ipv6_route 2>/dev/null; "
              "echo UID=$(id -u)")
    result = sandbox.run(["bash", "-c", script], timeout_s=60)
    assert result.ok, result.output
    interfaces = [line.split(":")[0].strip() for line in result.output.split("ROUTES")[0].splitlines() if ":" in line]
    assert interfaces == ["lo"]
    routes = [line for line in result.output.split("ROUTES")[1].splitlines() if line.strip() and "UID=" not in line]
    # IPv6 loopback routes are allowed; nothing may point at a real interface.
    assert all(" lo" in line or line.rstrip().endswith("lo") for line in routes), routes
    assert "UID=1000" in result.output


def test_killed_at_time_limit_with_its_whole_tree_and_removed(sandbox, docker_client):
    result = sandbox.run(["bash", "-c", "(sleep 300 &) ; sleep 300"], timeout_s=2, labels={"dgm.case": "timeout"})
    assert result.timed_out and result.exit_code is None
    assert result.duration_s < 60
    assert _containers(docker_client, **{"dgm.case": "timeout"}) == []


FORK_BOMB = """
import os, time
n = 0
try:
    while n < 5000:
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        n += 1
except OSError:
    pass
print("forked", n, flush=True)
os._exit(0)
"""


def test_limits_are_applied(docker_client, sandbox_config):
    box = DockerSandbox(docker_client, sandbox_config.model_copy(update={"pids": 64}))
    # A fork bomb stops at the pid limit instead of taking the host down.
    result = box.run(["python3", "-c", FORK_BOMB], timeout_s=60)
    assert "forked" in result.output, result.output
    assert 0 < int(result.output.split("forked")[1].split()[0]) < 64
    # Memory beyond the limit gets the process killed.
    hog = box.run(["python3", "-c", "x = bytearray(1500 * 1024 * 1024); print('survived')"], timeout_s=60)
    assert "survived" not in hog.output and hog.exit_code != 0


def test_inputs_in_and_untrusted_outputs_out_safely(sandbox, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("hello")
    (src / ".git").mkdir()
    (src / ".git" / "secret").write_text("host git must not enter")
    script = ("test ! -e /repo/.git && cat /repo/a.txt && echo bye > /repo/b.txt && mkdir -p /repo/.git/hooks "
              "&& echo evil > /repo/.git/hooks/post-checkout && ln -s /etc/passwd /repo/leak && ln -s a.txt /repo/ok")
    out = tmp_path / "out"
    result = sandbox.run(["bash", "-c", script], inputs={"/repo": src}, outputs={"/repo": out}, timeout_s=60)
    assert result.ok, result.output
    assert "hello" in result.output
    assert (out / "b.txt").read_text() == "bye\n"
    assert not (out / ".git").exists(), "a .git from the container could carry hooks onto the host"
    assert not (out / "leak").exists() and not (out / "leak").is_symlink()
    assert (out / "ok").is_symlink()


def test_leftovers_of_dead_processes_are_cleaned_up(docker_client, sandbox_config):
    dead = subprocess.Popen(["true"])
    dead.wait()
    container = docker_client.containers.create(
        sandbox_config.image, ["sleep", "300"], labels={MANAGED_LABEL: "1", OWNER_LABEL: str(dead.pid), "dgm.case": "leftover"}
    )
    mine = docker_client.containers.create(
        sandbox_config.image, ["sleep", "300"], labels={MANAGED_LABEL: "1", OWNER_LABEL: str(os.getpid()), "dgm.case": "mine"}
    )
    # Started from our image by someone else (it carries the image's dgm.managed label, no owner): not ours.
    foreign = docker_client.containers.create(sandbox_config.image, ["sleep", "300"], labels={"dgm.case": "foreign"})
    try:
        assert foreign.labels.get(MANAGED_LABEL) == "1"
        cleanup_leftovers(docker_client)
        assert _containers(docker_client, **{"dgm.case": "leftover"}) == []
        assert len(_containers(docker_client, **{"dgm.case": "mine"})) == 1  # a live owner keeps its containers
        assert len(_containers(docker_client, **{"dgm.case": "foreign"})) == 1
    finally:
        for c in (container, mine, foreign):
            try:
                c.remove(force=True)
            except Exception:
                pass


def test_missing_image_is_one_clear_error(docker_client, sandbox_config):
    from dgm.errors import SandboxError

    box = DockerSandbox(docker_client, sandbox_config.model_copy(update={"image": "dgm-no-such-image:0"}))
    with pytest.raises(SandboxError, match="run `dgm setup`"):
        box.run(["true"], timeout_s=10)
