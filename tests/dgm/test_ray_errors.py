"""The Ray executor's refusals, each one clear line: a job that needs an image no node advertises
(refused before it is submitted, naming the image and the fix), and `--executor ray` without Ray
installed (saying how to install it); and what a node offers the cluster (`dgm setup --ray`)."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import pytest

from benchmarks.task import load_suite
from dgm.config import RunConfig
from dgm.errors import DgmError
from dgm.jobs import Channel, EvaluateJob, JobContext

NO_RAY = ("import sys; sys.modules['ray'] = None; from dgm.cli import main; "
          "main(['run', '--executor', 'ray', '--run-dir', sys.argv[1]])")


def test_without_ray_the_run_says_how_to_get_it(tmp_path):
    proc = subprocess.run([sys.executable, "-c", NO_RAY, str(tmp_path / "run")], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "DGM_HOME": str(tmp_path / "home")})
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert lines == ["error: the Ray executor needs Ray: pip install 'dgm[ray]'"]
    assert not (tmp_path / "run").exists()  # refused before anything was made


@pytest.mark.docker
def test_a_job_needing_an_image_no_node_has_is_refused_in_one_line(ray_driver, tmp_path):
    from dgm.ray_executor import RayExecutor

    config = RunConfig(run_dir=tmp_path / "run")
    context = JobContext(config.model_dump_json(), str(tmp_path / "agents.git"), str(tmp_path / "work"))
    with pytest.raises(DgmError) as refused:
        RayExecutor(context, tmp_path / "logs", images=["dgm-nowhere:1"])
    assert str(refused.value).startswith("no Ray node has the image dgm-nowhere:1: ")
    assert "ray start --address" in str(refused.value) and "\n" not in str(refused.value)

    executor = RayExecutor(context, tmp_path / "logs")  # the default image is on every node
    task = dataclasses.replace(load_suite("builtin")[0], image="dgm-elsewhere:2")
    job = EvaluateJob(1, "0" * 40, task, 1, False, Channel(str(tmp_path), "m"))
    with pytest.raises(DgmError, match=r"^no Ray node has the image dgm-elsewhere:2: .*dgm setup"):
        executor.submit(job)
    assert executor.running() == []
    executor.close()


@pytest.mark.docker
def test_a_node_offers_the_images_its_engine_holds(docker_client):
    import json

    from dgm.bootstrap import node_images
    from dgm.ray_executor import image_resources
    from sandbox.image import default_tag

    images = node_images(docker_client)
    assert default_tag() in images
    assert json.loads(image_resources(images))[f"dgm_image:{default_tag()}"] == 1000  # what `dgm setup --ray` offers
