"""A real Ray cluster of two node processes on this machine (Ray's own multi-node test cluster): a head
and a worker, one CPU each (so two jobs at once spread over both), no dashboard, a small object store,
each node advertising the sandbox image. Tests may add nodes (and remove the ones they added) to make
one go away under a job. Nodes are this test process's children and are removed with it: nothing
else on the machine is touched."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kernel.trees import remove_tree

OBJECT_STORE_BYTES = 100_000_000
# Marks a node's processes (and so its jobs' processes) in their environment, to see where a job runs.
NODE_MARK = "DGM_TEST_RAY_NODE"
# A secret every node has in its environment, which a job run with secret_env=(NODE_SECRET,) must not see.
NODE_SECRET = "DGM_TEST_NODE_SECRET"


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@dataclass
class RayCluster:
    cluster: Any  # ray.cluster_utils.Cluster
    images: list[str]
    home: str
    temp_dir: str  # the cluster's own (Ray's default, /tmp/ray, is shared by every cluster of the machine)

    @property
    def address(self) -> str:
        return self.cluster.address

    def add_node(self, mark: str, images: list[str] | None = None) -> Any:
        """Another one-CPU node; its processes carry ``NODE_MARK=mark`` in their environment."""
        from dgm.ray_executor import NODE_IMAGE_QUANTITY, image_resource

        resources = {image_resource(tag): NODE_IMAGE_QUANTITY for tag in (self.images if images is None else images)}
        with _environment({NODE_MARK: mark, NODE_SECRET: "node-secret", "DGM_HOME": self.home}):
            node = self.cluster.add_node(num_cpus=1, resources=resources, object_store_memory=OBJECT_STORE_BYTES,
                                         temp_dir=self.temp_dir)
        self.cluster.wait_for_nodes()
        return node

    def remove_node(self, node: Any) -> None:
        """The node's processes are killed at once (as when its machine dies)."""
        self.cluster.remove_node(node, allow_graceful=False)


@pytest.fixture(scope="session")
def ray_cluster(docker_client, tmp_path_factory) -> Iterator[RayCluster]:
    try:
        from ray.cluster_utils import Cluster
    except ImportError:
        if os.environ.get("DGM_REQUIRE_DOCKER") == "1":
            pytest.fail("DGM_REQUIRE_DOCKER=1 but Ray is not installed (pip install -e '.[test]')")
        pytest.skip("Ray is not installed (pip install 'dgm[ray]')")
    from dgm.ray_executor import NODE_IMAGE_QUANTITY, image_resource
    from sandbox.image import default_tag

    images = [default_tag()]
    home = str(tmp_path_factory.mktemp("ray-node-home"))
    temp_dir = tempfile.mkdtemp(prefix="dgm-ray-", dir="/tmp")  # short: Ray's socket paths live under it
    resources = {image_resource(tag): NODE_IMAGE_QUANTITY for tag in images}
    # Ray's test cluster writes its address to $RAY_TMPDIR/ray/ray_current_cluster whatever temp_dir says
    # (/tmp/ray by default, which need not exist): keep that in the cluster's own folder too.
    Path(temp_dir, "ray").mkdir()
    with _environment({NODE_MARK: "head", NODE_SECRET: "node-secret", "DGM_HOME": home, "RAY_TMPDIR": temp_dir}):
        cluster = Cluster(initialize_head=True, head_node_args={
            "num_cpus": 1, "include_dashboard": False, "object_store_memory": OBJECT_STORE_BYTES, "resources": resources,
            "temp_dir": temp_dir})
    ray_cluster = RayCluster(cluster, images, home, temp_dir)
    try:
        ray_cluster.add_node("worker")
        yield ray_cluster
    finally:
        cluster.shutdown()
        remove_tree(Path(temp_dir))


@pytest.fixture()
def ray_driver(ray_cluster) -> Iterator[RayCluster]:
    """This test process joined to the cluster as a driver (as a run's coordinator is), left afterwards."""
    from dgm.ray_executor import connect, disconnect

    assert connect(ray_cluster.address)
    try:
        yield ray_cluster
    finally:
        disconnect()


def job_runners() -> dict[int, dict[str, str]]:
    """Every job process (`python -m dgm.job_runner`) on this machine now: its pid and its environment."""
    found = {}
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and b"dgm.job_runner" in (proc / "cmdline").read_bytes():
                entries = (proc / "environ").read_bytes().split(b"\0")
                found[int(proc.name)] = dict(e.decode(errors="replace").split("=", 1) for e in entries if b"=" in e)
        except OSError:
            continue  # gone meanwhile
    return found
