"""sandbox isolates: every piece of untrusted code runs in a fresh, labelled, resource-limited
Docker container with no network, and is removed afterwards (or by the next run's cleanup)."""

from sandbox.container import DockerSandbox, Mount, RunResult
from sandbox.engine import docker_client

__all__ = ["DockerSandbox", "Mount", "RunResult", "docker_client"]
