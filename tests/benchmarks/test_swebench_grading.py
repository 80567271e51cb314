"""Grading a SWE-bench instance with the light grader, for real: the per-repository image is built
with pip (network only while building: setuptools and a pinned package come from PyPI through the
host's CA bundle), then patches are graded in it with no network. The instance is made from a git
repository created here (tests/benchmarks/test_swebench_loading.py). The images built here are
removed at the end of the module."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

import docker
import pytest

from benchmarks.grader import grade
from benchmarks.swebench import load_swebench
from benchmarks.swebench_image import ImageSpec, ensure_swebench_image, prepare_images, remove_swebench_images
from benchmarks.task import Task
from dgm.errors import SandboxError
from sandbox.container import DockerSandbox
from tests.benchmarks.test_swebench_loading import (
    FAIL_TO_PASS,
    PASS_TO_PASS,
    REPO,
    Fixture,
    _diff,
    instance,
    make_repo,
    write_jsonl,
)

pytestmark = pytest.mark.docker


@dataclass
class Built:
    task: Task
    fx: Fixture
    build_s: float
    messages: list[str]


@pytest.fixture(scope="module")
def built(docker_client: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    root = tmp_path_factory.mktemp("swebench")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DGM_HOME", str(root / "home"))
        fx = make_repo(root)
        (task,) = load_swebench(str(write_jsonl(root / "lite.jsonl", [instance(fx)])), repos_dir=fx.repos_dir)
    assert task.image is not None
    # The commits have fixed dates, so the tag is the same every run: a leftover image from an
    # interrupted run must not stand in for the build under test.
    remove_swebench_images(docker_client, [task.image])
    messages: list[str] = []
    start = time.monotonic()
    try:
        assert prepare_images([task], docker_client, messages.append) == [task.image]
        yield Built(task, fx, time.monotonic() - start, messages)
    finally:
        remove_swebench_images(docker_client, [task.image])


def test_the_image_is_built_once_then_reused(built: Built, docker_client: docker.DockerClient) -> None:
    assert any(m.startswith(f"building {built.task.image}") for m in built.messages), built.messages
    image = docker_client.images.get(built.task.image)
    labels = image.attrs["Config"]["Labels"]
    assert labels["dgm.managed"] == "1" and labels["dgm.role"] == "swebench-image"
    assert "PATH=/opt/dgm-venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" in image.attrs["Config"]["Env"]
    assert not any(e.startswith(("PIP_CERT", "SSL_CERT_FILE")) for e in image.attrs["Config"]["Env"])
    again: list[str] = []
    assert prepare_images([built.task], docker_client, again.append) == [built.task.image]
    assert again == [] and docker_client.images.get(built.task.image).id == image.id
    print(f"light image build: {built.build_s:.1f} s")


def test_the_image_keeps_only_an_empty_repo_folder_and_the_venv(built: Built, sandbox: DockerSandbox) -> None:
    script = "stat -c %u /repo; ls -A /repo | wc -l; command -v python3; test -e /tmp/dgm-build || echo clean"
    result = sandbox.run(["bash", "-c", script], image=built.task.image, timeout_s=60)
    assert result.exit_code == 0, result.output
    assert result.output.split() == ["1000", "0", "/opt/dgm-venv/bin/python3", "clean"]


def test_the_gold_patch_resolves_with_no_network(built: Built, sandbox: DockerSandbox) -> None:
    result = grade(sandbox, built.task, built.task.solution_patch or "")
    assert result.error is None, result.output[-3000:]
    assert result.resolved, result.output[-3000:]
    assert {t: result.tests[t] for t in (*FAIL_TO_PASS, *PASS_TO_PASS)} == {t: "PASSED" for t in (*FAIL_TO_PASS, *PASS_TO_PASS)}
    # The hidden isolation tests ran: no route out, only the loopback interface, the image's venv.
    assert result.tests["tests/test_isolation.py::test_no_network"] == "PASSED"
    assert result.tests["tests/test_isolation.py::test_only_loopback"] == "PASSED"
    # The file the test_patch deletes was removed before pytest ran.
    assert not any(t.startswith("tests/test_legacy.py") for t in result.tests), result.tests


def test_an_empty_patch_does_not_resolve(built: Built, sandbox: DockerSandbox) -> None:
    result = grade(sandbox, built.task, "")
    assert not result.resolved and result.error is None
    assert result.tests[FAIL_TO_PASS[0]] == "FAILED", result.output[-3000:]
    assert all(result.tests[t] == "PASSED" for t in PASS_TO_PASS), result.tests


def test_a_patch_to_the_hidden_test_file_is_stripped(built: Built, sandbox: DockerSandbox) -> None:
    # Rewrites the visible test file so that any test_add would pass: it must never be applied.
    cheat = _diff(built.fx.upstream, {"tests/test_ops.py": "def test_add():\n    pass\n\n\ndef test_sub():\n    pass\n"})
    result = grade(sandbox, built.task, cheat)
    assert result.stripped_paths == ["tests/test_ops.py"]
    assert not result.resolved and result.tests[FAIL_TO_PASS[0]] == "FAILED"
    both = grade(sandbox, built.task, (built.task.solution_patch or "") + cheat)
    assert both.stripped_paths == ["tests/test_ops.py"] and both.resolved, both.output[-3000:]


def _leftover_builds(client: docker.DockerClient) -> list[str]:
    mine = {"label": ["dgm.role=swebench-build", f"dgm.owner_pid={os.getpid()}"]}
    return [c.name for c in client.containers.list(all=True, filters=mine)]


def test_a_failing_pip_install_names_the_error(built: Built, docker_client: docker.DockerClient) -> None:
    spec = ImageSpec(REPO, built.fx.setup_commit, pip_packages=("/nonexistent/dgm-missing-package",),
                     source=built.fx.upstream / ".git")
    try:
        failed = r"building dgm-swebench-dgmtest__calc:\w+ failed \(exit \d+\): .*does not exist"
        with pytest.raises(SandboxError, match=failed) as err:
            ensure_swebench_image(docker_client, spec, log=lambda _: None)
        assert "\n" not in str(err.value)
        assert _leftover_builds(docker_client) == []
    finally:
        remove_swebench_images(docker_client, [spec.tag])


def test_a_build_past_its_time_limit_is_stopped(built: Built, docker_client: docker.DockerClient) -> None:
    spec = ImageSpec(REPO, built.fx.setup_commit, pre_install=("sleep 600",), source=built.fx.upstream / ".git")
    start = time.monotonic()
    try:
        with pytest.raises(SandboxError, match=r"timed out after 3 s"):
            ensure_swebench_image(docker_client, spec, log=lambda _: None, timeout_s=3)
        assert time.monotonic() - start < 60
        assert _leftover_builds(docker_client) == []
    finally:
        remove_swebench_images(docker_client, [spec.tag])
