"""Removing dgm's own images that nothing needs any more, so a run of days cannot fill the disk.

Only images labelled ``dgm.managed=1`` are ever looked at (our recipes and the SWE-bench per-repository
images carry it); every other image on the host is left alone, whatever its name. Of ours, an image
is never removed while any container (running or stopped) uses it, nor when one of its tags is the
current tag of a recipe or one the caller keeps. What remains is removed when it is

- an older version of one of our recipes (``dgm.recipe=sandbox-1`` once the recipe is at version 2):
  no dgm of this version asks for it again; or
- built more than ``max_age_days`` ago, when the caller gives an age (SWE-bench images, mostly,
  which are rebuilt on demand).

Images are removed tag by tag and never forced, so the engine itself refuses an image that a
container started using meanwhile; such refusals are reported, not raised.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import docker
import requests
from docker.errors import APIError, DockerException, NotFound

from sandbox.image import MANAGED_LABEL, RECIPES

RECIPE_LABEL = "dgm.recipe"  # <recipe name>-<version>, set by Recipe.changes()
# Images built on top of a recipe (SWE-bench ones) inherit its dgm.recipe label; their own dgm.role
# says they are not the recipe's image (benchmarks/swebench_image.py).
ROLE_LABEL = "dgm.role"
DAY_S = 86400.0
Log = Callable[[str], None]


@dataclass(frozen=True)
class PrunedImage:
    """An image chosen for removal, and whether it went (never in a dry run)."""

    id: str
    tags: tuple[str, ...]
    reason: str
    size_bytes: int
    removed: bool = False
    error: str | None = None

    def describe(self) -> str:
        name = ", ".join(self.tags) or self.id.removeprefix("sha256:")[:12]
        state = "removed" if self.removed else ("not removed: " + self.error if self.error else "would remove")
        return f"{state}: {name} ({self.size_bytes / 1e6:.0f} MB; {self.reason})"


def current_tags() -> set[str]:
    """The tags this dgm builds and uses: never pruned."""
    return {recipe.tag for recipe in RECIPES.values()}


def outdated_recipe(labels: dict[str, str], tags: Iterable[str] = ()) -> str | None:
    """Why an image is an older version of one of our recipes, or None when it is not.

    The version comes from the ``dgm.recipe`` label, or from a ``dgm-<name>:<suite>-<version>`` tag
    (the first images were labelled with the bare version). Only a lower numeric version counts: a
    higher one may belong to a newer dgm on the same machine."""
    if labels.get(ROLE_LABEL):
        return None
    for name, version in _recipe_versions(labels, tags):
        recipe = RECIPES.get(name)
        if recipe is not None and version.isdigit() and recipe.version.isdigit() and int(version) < int(recipe.version):
            return f"outdated recipe {name}-{version}, now {recipe.tag}"
    return None


def _recipe_versions(labels: dict[str, str], tags: Iterable[str]) -> Iterator[tuple[str, str]]:
    name, _, version = (labels.get(RECIPE_LABEL) or "").rpartition("-")
    yield name, version
    for tag in tags:
        repo, _, version = tag.rpartition(":")
        suite, _, number = version.rpartition("-")
        if repo.startswith("dgm-") and suite:  # dgm-<name>:<Debian release>-<version>
            yield repo.removeprefix("dgm-"), number


def _reason(image: dict[str, Any], max_age_days: float | None, now: float) -> str | None:
    outdated = outdated_recipe(image.get("Labels") or {}, _tags(image))
    if outdated is not None:
        return outdated
    age_days = (now - float(image.get("Created") or now)) / DAY_S
    if max_age_days is not None and age_days > max_age_days:
        return f"built {age_days:.1f} days ago"
    return None


def _tags(image: dict[str, Any]) -> tuple[str, ...]:
    return tuple(t for t in image.get("RepoTags") or () if t != "<none>:<none>")


def _remove(client: docker.DockerClient, image_id: str, tags: tuple[str, ...]) -> str | None:
    """Untag and delete, unforced (the engine refuses an image in use); the error, if any."""
    try:
        for ref in tags or (image_id,):
            client.images.remove(ref, force=False)
    except NotFound:
        return None  # gone already
    except APIError as exc:
        return str(exc.explanation or exc).splitlines()[0][:200]
    return None


def prune_images(client: docker.DockerClient, keep: Iterable[str] = (), max_age_days: float | None = None,
                 dry_run: bool = False, only_label: str | None = None,
                 repositories: Iterable[str] | None = None) -> list[PrunedImage]:
    """Remove unused dgm-managed images (see the module docstring); returns those chosen, in order.

    ``keep``: tags (or image ids) to keep besides the current recipe tags, which are always kept.
    ``max_age_days``: also remove images built more than this many days ago; None: outdated recipe
    versions only. ``only_label``: narrow the candidates further by a label (``key`` or ``key=value``).
    ``repositories``: only images tagged in one of these (or not tagged at all); None: any."""
    kept = current_tags() | set(keep)
    ours = None if repositories is None else set(repositories)
    filters = [f"{MANAGED_LABEL}=1", *([only_label] if only_label else [])]
    images = client.api.images(filters={"label": filters})
    used = {c.get("ImageID") for c in client.api.containers(all=True)}
    now = time.time()
    chosen: list[PrunedImage] = []
    for image in sorted(images, key=lambda i: i.get("Created") or 0):
        labels, tags = image.get("Labels") or {}, _tags(image)
        if labels.get(MANAGED_LABEL) != "1" or image["Id"] in used or image["Id"] in kept or kept.intersection(tags):
            continue
        if ours is not None and tags and not any(tag.rsplit(":", 1)[0] in ours for tag in tags):
            continue
        reason = _reason(image, max_age_days, now)
        if reason is None:
            continue
        error = None if dry_run else _remove(client, image["Id"], tags)
        chosen.append(PrunedImage(image["Id"], tags, reason, int(image.get("Size") or 0),
                                  removed=not dry_run and error is None, error=error))
    return chosen


def prune_outdated_images(client: docker.DockerClient, keep: Iterable[str] = (), log: Log = lambda msg: None,
                          repositories: Iterable[str] | None = None) -> list[PrunedImage]:
    """What a run does at start: remove unused older versions of our recipes' images (two engine
    calls when there is nothing to do), in our recipes' repositories only (``repositories``), so an
    image someone derived from ours and tagged elsewhere is never removed behind their back. Never
    raises: a failed cleanup must not stop a run."""
    if repositories is None:
        repositories = {tag.rsplit(":", 1)[0] for tag in current_tags()}
    try:
        pruned = prune_images(client, keep=keep, repositories=repositories)
    except (DockerException, requests.RequestException) as exc:  # an engine that went away raises the latter
        log(f"image cleanup skipped: {str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__}")
        return []
    for image in pruned:
        log(image.describe())
    return pruned


def cleanup_images(client: docker.DockerClient, older_than_days: float | None = None, dry_run: bool = False,
                   log: Log = print) -> list[PrunedImage]:
    """`dgm cleanup --images [--older-than-days N] [--dry-run]`: one line per image, then the total."""
    pruned = prune_images(client, max_age_days=older_than_days, dry_run=dry_run)
    for image in pruned:
        log(image.describe())
    done = [p for p in pruned if p.removed or dry_run]
    verb = "would free" if dry_run else "freed"
    log(f"{len(done)} image(s), {verb} up to {sum(p.size_bytes for p in done) / 1e6:.0f} MB"
        + (f"; {len(pruned) - len(done)} refused by the engine" if len(done) < len(pruned) else ""))
    return pruned
