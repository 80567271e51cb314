"""Finding, installing and starting the Docker engine."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import docker
from docker.errors import DockerException

from kernel.errors import SandboxError

DOCKERD_LOG = Path("/var/log/dgm-dockerd.log")
# Connections the shared client keeps for reuse. Each live container may hold three at once (its
# wait, its disk watch, a copy-back stream) and the workers share one client. The pool never blocks
# (urllib3's block=False: past this size it opens a fresh connection and drops it afterwards), so a
# slow copy-back cannot starve another thread; the size only saves reconnects and the warning
# "Connection pool is full, discarding connection".
POOL_SIZE = 64


def docker_client(timeout: int = 120) -> docker.DockerClient:
    """A client for a running engine, or one clear error saying how to get one."""
    try:
        client = docker.from_env(timeout=timeout, max_pool_size=POOL_SIZE)
        client.ping()
        return client
    except DockerException as exc:
        raise SandboxError(f"no Docker engine answers ({_short(exc)}); run `dgm setup` to install and start one") from None


def engine_running() -> bool:
    try:
        docker.from_env(timeout=5).ping()
        return True
    except DockerException:
        return False


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def ensure_engine(log: callable = print) -> None:  # type: ignore[valid-type]
    """Install Debian's docker.io if dockerd is missing, start dockerd if nothing answers."""
    if engine_running():
        return
    if shutil.which("dockerd") is None:
        if os.geteuid() != 0 or shutil.which("apt-get") is None:
            raise SandboxError("dockerd is not installed; install Docker (Debian: `apt-get install -y docker.io`)")
        log("installing docker.io with apt-get ...")
        _apt_install(["docker.io"])
    if os.geteuid() != 0:
        raise SandboxError("the Docker engine is not running; start it (`sudo dockerd &` or `systemctl start docker`)")
    log(f"starting dockerd (log: {DOCKERD_LOG}) ...")
    DOCKERD_LOG.parent.mkdir(parents=True, exist_ok=True)
    with open(DOCKERD_LOG, "ab") as logf:
        # A new session so dockerd outlives this process and a Ctrl-C here does not reach it.
        subprocess.Popen(["dockerd"], stdout=logf, stderr=logf, stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if engine_running():
            return
        time.sleep(0.5)
    raise SandboxError(f"dockerd did not come up within 60 s; see {DOCKERD_LOG}")


def _apt_install(packages: list[str]) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", *packages]):
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["?"]
            raise SandboxError(f"`{' '.join(cmd)}` failed: {tail[0]}")
