"""Warm-ups, the last step of an image build: each runs in a container of the imported image and is
committed into it; a failing one leaves no image behind under the final tag (the next `dgm setup`
would otherwise take it for a finished build). On a throwaway copy of the sandbox image."""

from __future__ import annotations

import uuid

import pytest

from kernel.errors import SandboxError
from sandbox.image import SANDBOX, image_exists, warm_up

pytestmark = pytest.mark.docker


@pytest.fixture()
def scratch_tag(docker_client):
    tag = f"dgm-test-warmup:{uuid.uuid4().hex[:12]}"
    docker_client.images.get(SANDBOX.tag).tag(tag)
    yield tag
    if image_exists(docker_client, tag):
        docker_client.images.remove(tag, force=True)


def test_each_warm_up_is_committed_into_the_image_without_network(docker_client, scratch_tag):
    said: list[str] = []
    warm_up(docker_client, scratch_tag, ("echo one > /opt/warm", "cat /opt/warm > /opt/warm2; echo two >> /opt/warm2",
                                         "! python3 -c 'import socket; socket.create_connection((\"1.1.1.1\", 53), 2)'"),
            said.append)
    assert len(said) == 3
    out = docker_client.containers.run(scratch_tag, ["cat", "/opt/warm2"], remove=True)
    assert out == b"one\ntwo\n"
    assert docker_client.images.get(scratch_tag).attrs["Config"]["Cmd"] == ["bash"]  # no warm-up became its command


def test_a_failing_warm_up_removes_the_image(docker_client, scratch_tag):
    with pytest.raises(SandboxError, match=r"warming .* failed \(exit 3\): broken here"):
        warm_up(docker_client, scratch_tag, ("touch /opt/first", "echo broken here; exit 3"))
    assert not image_exists(docker_client, scratch_tag)
