"""Pruning images by label only, against a real engine, on throwaway images made without a registry."""

from __future__ import annotations

import io
import tarfile
import uuid

import docker
import pytest
from docker.errors import NotFound

from sandbox.image import MANAGED_LABEL, POLYGLOT, SANDBOX
from sandbox.prune import outdated_recipe, prune_images, prune_outdated_images

pytestmark = pytest.mark.docker
OUTDATED = "outdated recipe sandbox-1, now dgm-sandbox:bookworm-2"


def test_only_lower_versions_of_our_own_recipes_are_outdated():
    assert outdated_recipe({"dgm.recipe": "sandbox-1"}) == OUTDATED
    assert outdated_recipe({"dgm.recipe": "sandbox-2"}) is None  # current
    assert outdated_recipe({"dgm.recipe": "sandbox-3"}) is None  # a newer dgm's, on the same machine
    assert outdated_recipe({"dgm.recipe": "sandbox-x"}) is None and outdated_recipe({"dgm.recipe": "other-1"}) is None
    assert outdated_recipe({}) is None
    # The first images were labelled with the bare version: their tag names the recipe.
    assert outdated_recipe({"dgm.recipe": "1"}, ["dgm-sandbox:bookworm-1"]) == OUTDATED
    assert outdated_recipe({"dgm.recipe": "1"}, ["dgm-sandbox:bookworm-2", "mine:bookworm-1"]) is None
    # A recipe that moved to another Debian release: the version after the release still counts.
    assert outdated_recipe({}, ["dgm-polyglot:bookworm-1"]) == f"outdated recipe polyglot-1, now {POLYGLOT.tag}"
    # A SWE-bench image inherits its base's recipe label, but it is not the recipe's image.
    assert outdated_recipe({"dgm.recipe": "sandbox-1", "dgm.role": "swebench-image"}) is None


def test_the_run_start_cleanup_never_raises_without_an_engine():
    dead = docker.DockerClient(base_url="unix:///nonexistent/docker.sock", version="1.41", timeout=2)
    said: list[str] = []
    assert prune_outdated_images(dead, log=said.append) == [] and said[0].startswith("image cleanup skipped")


def _committed(client, repo: str, tag: str, scope: str, labels: str) -> str:
    container = client.containers.create(SANDBOX.tag, command=["true"], labels={"dgm.test": "1"})
    try:
        container.commit(repository=repo, tag=tag, changes=[f"LABEL {scope} {labels}"])
    finally:
        container.remove(force=True)
    return f"{repo}:{tag}"


def _unlabelled(client, repo: str, scope: str) -> str:
    """An image that is not ours (no dgm.managed), yet names an outdated recipe: imported from a tiny tar."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    client.api.import_image_from_data(data.getvalue(), repository=repo, tag="foreign",
                                      changes=[f"LABEL {scope} dgm.recipe=sandbox-1"])
    return f"{repo}:foreign"


def _exists(client, tag: str) -> bool:
    try:
        client.images.get(tag)
        return True
    except NotFound:
        return False


def test_prunes_only_unused_managed_images_by_label(docker_client):
    client = docker_client
    uid = uuid.uuid4().hex[:10]
    repo, scope = f"dgm-test-prune-{uid}", f"dgm.test-prune={uid}"
    # Every managed image already on this machine stays out of it (an old recipe version may be there).
    others = {ref for image in client.api.images(filters={"label": f"{MANAGED_LABEL}=1"})
              for ref in [image["Id"], *(image.get("RepoTags") or ())]}
    blocker = None
    try:
        outdated = _committed(client, repo, "outdated", scope, "dgm.recipe=sandbox-1")
        kept = _committed(client, repo, "kept", scope, "dgm.recipe=sandbox-1")
        in_use = _committed(client, repo, "in-use", scope, "dgm.recipe=sandbox-1")
        current = _committed(client, repo, "current", scope, "dgm.recipe=sandbox-2")
        swebench = _committed(client, repo, "swebench", scope, "dgm.role=swebench-image")  # inherits dgm.recipe=sandbox-2
        foreign = _unlabelled(client, repo, scope)
        blocker = client.containers.create(in_use, command=["true"], labels={"dgm.test": "1"})  # stopped, never started
        everything = {outdated, kept, in_use, current, swebench, foreign}

        planned = prune_images(client, keep={kept}, dry_run=True, only_label=scope)
        assert [(p.tags, p.removed) for p in planned] == [((outdated,), False)]
        assert all(_exists(client, tag) for tag in everything)

        # A run's start prunes only dgm's own repositories: these (another repository) are not touched...
        assert prune_outdated_images(client, keep={kept, *others}) == []
        assert all(_exists(client, tag) for tag in everything)
        # ...and a run starting meanwhile (another test's) cannot race this one for them.
        pruned = prune_outdated_images(client, keep={kept, *others}, repositories={repo})
        assert [(p.tags, p.removed, p.reason) for p in pruned] == [((outdated,), True, OUTDATED)]
        assert {tag for tag in everything if _exists(client, tag)} == everything - {outdated}

        assert prune_images(client, keep={kept}, max_age_days=1, only_label=scope) == []  # all built just now
        aged = prune_images(client, keep={kept}, max_age_days=0, only_label=scope)
        assert sorted(t for p in aged for t in p.tags) == sorted([current, swebench]) and all(p.removed for p in aged)
        assert {tag for tag in everything if _exists(client, tag)} == {kept, in_use, foreign}
        assert _exists(client, SANDBOX.tag)
    finally:
        if blocker is not None:
            blocker.remove(force=True)
        for image in client.api.images(filters={"reference": f"{repo}:*"}):
            for ref in image.get("RepoTags") or [image["Id"]]:
                try:
                    client.images.remove(ref, force=True)
                except NotFound:
                    pass
