"""Building the sandbox base image offline: debootstrap a Debian root file system, `docker import` it.

No registry is needed (none can be reached on our machines); only a Debian package mirror.
The tag carries a recipe version: change PACKAGES and bump RECIPE to get a new image.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import docker
from docker.errors import ImageNotFound

from dgm.errors import SandboxError
from sandbox.engine import _apt_install

RECIPE = "1"
SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
PACKAGES = ["python3", "python3-pytest", "git", "patch", "procps"]
MANAGED_LABEL = "dgm.managed"
# Applied at import time: what a Dockerfile would say with ENV/WORKDIR.
CHANGES = [
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV LANG=C.UTF-8",
    "ENV HOME=/tmp",
    "ENV PYTHONDONTWRITEBYTECODE=1",
    f"LABEL {MANAGED_LABEL}=1 dgm.recipe={RECIPE}",
    "WORKDIR /",
]


def default_tag() -> str:
    return f"dgm-sandbox:{SUITE}-{RECIPE}"


def image_exists(client: docker.DockerClient, tag: str) -> bool:
    try:
        client.images.get(tag)
        return True
    except ImageNotFound:
        return False


def build_image(client: docker.DockerClient, tag: str, log: callable = print) -> None:  # type: ignore[valid-type]
    """debootstrap + docker import. Takes about a minute with a nearby mirror."""
    if os.geteuid() != 0:
        raise SandboxError("building the sandbox image needs root (debootstrap); run `sudo dgm setup`")
    if shutil.which("debootstrap") is None:
        log("installing debootstrap with apt-get ...")
        _apt_install(["debootstrap"])
    with tempfile.TemporaryDirectory(prefix="dgm-rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        log(f"debootstrap {SUITE} with {', '.join(PACKAGES)} ...")
        cmd = ["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", SUITE, str(rootfs), MIRROR]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise SandboxError(f"debootstrap failed: {' | '.join(tail)}")
        # Package caches and docs only cost space in every container.
        for junk in ("var/cache/apt/archives", "usr/share/doc", "usr/share/man", "var/lib/apt/lists"):
            shutil.rmtree(rootfs / junk, ignore_errors=True)
        tarball = Path(tmp) / "rootfs.tar"
        subprocess.run(["tar", "-C", str(rootfs), "--numeric-owner", "-cf", str(tarball), "."], check=True)
        repo, _, version = tag.partition(":")
        log(f"docker import as {tag} ...")
        client.api.import_image_from_file(str(tarball), repository=repo, tag=version or "latest", changes=CHANGES)
    if not image_exists(client, tag):
        raise SandboxError(f"docker import did not produce {tag}")
