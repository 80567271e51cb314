"""Building sandbox images offline: debootstrap a Debian root file system, `docker import` it.

No registry is needed (none can be reached on our machines); only a Debian package mirror. Each
image is a `Recipe`: the packages, optional steps run in the root file system before import (e.g.
installing JavaScript test tools while the npm registry is reachable at build time), and a version
in the tag, so a changed recipe gets a new image rather than silently reusing an old one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docker
from docker.errors import ImageNotFound

from kernel.errors import SandboxError
from sandbox.engine import _apt_install

SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
MANAGED_LABEL = "dgm.managed"
Log = Callable[[str], None]
# Extra build steps: called with the root file system folder, before `docker import`.
Step = Callable[[Path, Log], None]


@dataclass(frozen=True)
class Recipe:
    name: str  # image repository suffix: dgm-<name>
    version: str  # bump whenever packages or steps change
    packages: tuple[str, ...]
    steps: tuple[Step, ...] = ()
    env: tuple[str, ...] = ()  # extra ENV lines, e.g. "PATH=..."
    description: str = ""

    @property
    def tag(self) -> str:
        return f"dgm-{self.name}:{SUITE}-{self.version}"

    def changes(self) -> list[str]:
        """What a Dockerfile would say with ENV/LABEL/WORKDIR, applied at import time."""
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
               "HOME": "/tmp", "PYTHONDONTWRITEBYTECODE": "1"}
        env.update(line.split("=", 1) for line in self.env)  # type: ignore[misc]
        return [*(f"ENV {k}={v}" for k, v in env.items()),
                f"LABEL {MANAGED_LABEL}=1 dgm.recipe={self.name}-{self.version}", "WORKDIR /"]


# The default image: agents and the built-in suite. pip and venv let SWE-bench images add packages.
SANDBOX = Recipe(
    "sandbox", "2",
    ("python3", "python3-pytest", "python3-pip", "python3-venv", "git", "patch", "procps", "ca-certificates"),
    description="Python 3.11, pytest 7.2, git: agents and the built-in suite",
)

# JavaScript test tools for Polyglot, the versions its exercises' package.json files ask for. Installed
# once at build time (the only moment the npm registry is reachable); grading links this folder as
# the exercise's node_modules, with no network.
JS_TOOLS_DIR = "/opt/dgm-js"
JS_TOOLS = {
    "jest": "29.7.0",
    "babel-jest": "29.7.0",
    "@babel/core": "7.25.2",
    "@exercism/babel-preset-javascript": "0.2.1",
    "core-js": "3.37.1",
}


def _host_npm(log: Log) -> str:
    npm = shutil.which("npm")
    if npm is None:
        log("installing npm with apt-get (only to fetch the JavaScript test tools) ...")
        _apt_install(["npm"])
        npm = shutil.which("npm")
    if npm is None:
        raise SandboxError("npm is needed to build the polyglot image; install it (`apt-get install -y npm`)")
    return npm


def install_js_tools(rootfs: Path, log: Log) -> None:
    """jest + babel into <rootfs>/opt/dgm-js/node_modules with the host's npm.

    The host's npm rather than the image's: Debian's npm drags in some 330 node-* packages that
    grading never uses, and the packages are plain JavaScript, so where they were installed from
    does not matter. Install scripts are skipped (they only print banners), so nothing built on
    the host ends up in the image.
    """
    target = rootfs / JS_TOOLS_DIR.lstrip("/")
    target.mkdir(parents=True, exist_ok=True)
    manifest = {"name": "dgm-js-tools", "private": True, "dependencies": JS_TOOLS}
    (target / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    log(f"npm install {' '.join(f'{k}@{v}' for k, v in JS_TOOLS.items())} into {JS_TOOLS_DIR} ...")
    cmd = [_host_npm(log), "install", "--no-audit", "--no-fund", "--ignore-scripts", "--omit=optional",
           "--loglevel=error", "--no-package-lock"]
    proc = subprocess.run(cmd, cwd=target, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise SandboxError(f"npm install of the JavaScript test tools failed: {' | '.join(tail)}")
    if not (target / "node_modules" / ".bin" / "jest").exists():
        raise SandboxError("npm install finished but jest is missing from the JavaScript test tools")
    # Root-owned and world-readable: every container (uid 1000) uses it, none may change it.
    subprocess.run(["chown", "-R", "0:0", str(target)], check=True)
    subprocess.run(["chmod", "-R", "u+rwX,go+rX,go-w", str(target)], check=True)


# Aider's Polyglot benchmark: the six toolchains, all from Debian bookworm, so grading needs no
# network. Rust comes from rustc-web/cargo-web (1.85, in bookworm main) rather than rustc/cargo
# (1.63), which reject edition 2024 and miss std APIs newer exercises use. Java runs on javac and
# JUnit's console launcher instead of Gradle (whose plugins and junit/assertj live on Maven Central);
# catch2 gives C++ tests a system catch.hpp besides the one exercises bundle. Details: docs/POLYGLOT.md.
POLYGLOT = Recipe(
    "polyglot", "1",
    ("python3", "python3-pytest", "git", "patch", "procps", "ca-certificates",
     "golang-go", "rustc-web", "cargo-web", "cmake", "make", "g++", "catch2", "nodejs",
     "default-jdk-headless", "junit5", "libassertj-core-java"),
    steps=(install_js_tools,),
    env=(f"PATH={JS_TOOLS_DIR}/node_modules/.bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",),
    description="Python, Go, Rust, JavaScript (jest), Java (JUnit 5), C++ (CMake): Aider's Polyglot, offline",
)
RECIPES: dict[str, Recipe] = {"sandbox": SANDBOX, "polyglot": POLYGLOT}


def default_tag() -> str:
    return SANDBOX.tag


def image_exists(client: docker.DockerClient, tag: str) -> bool:
    try:
        client.images.get(tag)
        return True
    except ImageNotFound:
        return False


def build_image(client: docker.DockerClient, recipe: Recipe = SANDBOX, log: Log = print, tag: str | None = None) -> str:
    """debootstrap + steps + docker import. The base image takes about a minute with a nearby mirror."""
    tag = tag or recipe.tag
    if os.geteuid() != 0:
        raise SandboxError("building a sandbox image needs root (debootstrap); run `sudo dgm setup`")
    if shutil.which("debootstrap") is None:
        log("installing debootstrap with apt-get ...")
        _apt_install(["debootstrap"])
    with tempfile.TemporaryDirectory(prefix="dgm-rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        log(f"debootstrap {SUITE} with {', '.join(recipe.packages)} ...")
        cmd = ["debootstrap", "--variant=minbase", f"--include={','.join(recipe.packages)}", SUITE, str(rootfs), MIRROR]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise SandboxError(f"debootstrap failed: {' | '.join(tail)}")
        for step in recipe.steps:
            step(rootfs, log)
        # Package caches and docs only cost space in every container.
        for junk in ("var/cache/apt/archives", "usr/share/doc", "usr/share/man", "var/lib/apt/lists"):
            shutil.rmtree(rootfs / junk, ignore_errors=True)
        tarball = Path(tmp) / "rootfs.tar"
        subprocess.run(["tar", "-C", str(rootfs), "--numeric-owner", "-cf", str(tarball), "."], check=True)
        repo, _, version = tag.partition(":")
        log(f"docker import as {tag} ...")
        client.api.import_image_from_file(str(tarball), repository=repo, tag=version or "latest", changes=recipe.changes())
    if not image_exists(client, tag):
        raise SandboxError(f"docker import did not produce {tag}")
    return tag


def ensure_image(client: docker.DockerClient, recipe: Recipe, log: Log = print) -> str:
    """Build ``recipe``'s image unless it is already there; returns its tag."""
    if image_exists(client, recipe.tag):
        log(f"image {recipe.tag} is ready")
        return recipe.tag
    build_image(client, recipe, log)
    log(f"built image {recipe.tag}")
    return recipe.tag
