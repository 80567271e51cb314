"""Per-repository images for SWE-bench's light grader, built with pip from the default sandbox image.

One image per (repository, environment setup commit, install recipe), tagged
``dgm-swebench-<owner>__<name>:<hash>`` and reused by every instance that shares them. Building is the
only moment a SWE-bench container has network: the build container sits on Docker's bridge network,
trusts the host's CA bundle (this machine reaches PyPI through a TLS-intercepting proxy), and runs as
root

    python3 -m venv --system-site-packages /opt/dgm-venv
    pip install <pip_packages>            # the instance's pins, if any
    pip install -e /repo                  # or the instance's own `install` command

on the repository at ``environment_setup_commit``. Afterwards /repo is emptied (the editable install
keeps pointing at it; every agent and grade container copies its own instance's tree there) and the
container is committed with the venv first on PATH. Agents and grading then run in the image with
no network at all (sandbox/container.py).

Instance fields that change the recipe (all optional; docs/SWEBENCH.md):

- ``pip_packages``: requirement specifiers installed before the repository (a list, or one
  whitespace-separated string as in SWE-bench's own specs), e.g. ``["numpy<2", "pytest==7.4.4"]``;
- ``pre_install``: shell commands run as root in /repo before anything else (a list or one string);
- ``install``: the shell command that installs the repository instead of ``pip install -e /repo``
  (run in /repo with the venv first on PATH).

Loading a dataset never builds anything: `prepare_images` does, before a run or `dgm bench check`.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shlex
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
from docker.errors import APIError, NotFound

from benchmarks.task import Task
from kernel.errors import SandboxError, TaskError
from kernel.git import FOREIGN_REPO_ENV, git
from sandbox.container import OWNER_LABEL, wait_or_kill  # `dgm cleanup` finds dead builds by OWNER_LABEL
from sandbox.image import MANAGED_LABEL, default_tag, image_exists, output_tail

Log = Callable[[str], None]

# Bump when the build script changes what an image contains: old images then get new tags.
BUILDER_VERSION = "1"
VENV = "/opt/dgm-venv"
BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
BUILD_DIR = "/tmp/dgm-build"  # inside the build container; removed before the commit
BUILD_TIMEOUT_S = 1800
ROLE_LABEL = "dgm.role"
IMAGE_ROLE = "swebench-image"
LOG_TAIL_LINES = 15
# Forwarded from the host into the build (documented in docs/SWEBENCH.md): a machine behind an
# explicit proxy needs them for pip, and they carry no secret of ours.
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")
# The files, next to a materialised instance (benchmarks/swebench.py), that tell the builder what to build.
INSTANCE_FILE = "instance.json"
SOURCE_FILE = "source.json"


def _strings(value: Any, field_name: str, split: bool) -> tuple[str, ...]:
    """A list of strings, or one string (split on whitespace for package lists)."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(value.split()) if split else ((value,) if value.strip() else ())
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(v for v in value if v.strip())
    raise TaskError(f"field '{field_name}' must be a string or a list of strings")


@dataclass(frozen=True)
class ImageSpec:
    """What decides a per-repository image. ``source`` (a git directory holding ``commit``) says where
    to get the tree from; it is not part of the tag, so a moved mirror reuses the same image."""

    repo: str  # owner/name
    commit: str  # environment_setup_commit, else base_commit
    pip_packages: tuple[str, ...] = ()
    pre_install: tuple[str, ...] = ()
    install: str | None = None
    base_image: str = field(default_factory=default_tag)
    source: Path | None = field(default=None, compare=False)

    @classmethod
    def from_instance(cls, instance: dict[str, Any], source: Path | None = None) -> ImageSpec:
        install = instance.get("install")
        if install is not None and not isinstance(install, str):
            raise TaskError("field 'install' must be a shell command (a string)")
        return cls(
            repo=str(instance["repo"]),
            commit=str(instance.get("environment_setup_commit") or instance["base_commit"]),
            pip_packages=_strings(instance.get("pip_packages"), "pip_packages", split=True),
            pre_install=_strings(instance.get("pre_install"), "pre_install", split=False),
            install=(install.strip() or None) if install else None,
            source=source,
        )

    @property
    def tag(self) -> str:
        recipe = json.dumps([BUILDER_VERSION, self.repo, self.commit, self.pip_packages, self.pre_install,
                             self.install, self.base_image])
        return f"{image_repository(self.repo)}:{hashlib.sha256(recipe.encode()).hexdigest()[:16]}"


def image_repository(repo: str) -> str:
    """``dgm-swebench-<owner>__<name>``, in the characters Docker allows (lowercase, no odd runs)."""
    owner, _, name = repo.partition("/")
    clean = [re.sub(r"[^a-z0-9]+", "-", part.lower()).strip("-") or "x" for part in (owner, name)]
    return f"dgm-swebench-{clean[0]}__{clean[1]}"


def git_error_line(exc: Exception) -> str:
    """git's complaint in one line: its first fatal/error line, else its first line."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    useful = [line for line in lines if "fatal:" in line or "error:" in line]
    return (useful or lines or ["?"])[0][:300]


def export_tree(git_dir: Path, commit: str, dest: Path) -> None:
    """Write the tree of ``commit`` into ``dest`` (no .git), through a throwaway index.

    Not `git archive`: it honours `export-ignore` and `export-subst` attributes, so the tree would
    differ from a checkout (which is what SWE-bench's own harness and a developer see).
    """
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dgm-index-") as tmp:
        env = {"GIT_DIR": str(git_dir), "GIT_INDEX_FILE": str(Path(tmp) / "index"), "GIT_WORK_TREE": tmp, **FOREIGN_REPO_ENV}
        try:
            git("read-tree", commit, cwd=Path(tmp), env=env)
            git("checkout-index", "-a", "-f", f"--prefix={dest.resolve()}/", cwd=Path(tmp), env=env)
        except RuntimeError as exc:
            raise TaskError(f"cannot export {commit[:12]} from {git_dir}: {git_error_line(exc)}") from None


def build_script(spec: ImageSpec, ca_bundle: str | None) -> str:
    """The root shell script that turns the base image plus /repo into the per-repository image."""
    lines = ["set -euo pipefail", "exec 2>&1", "cd /repo",
             "export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_NO_CACHE_DIR=1 PIP_PROGRESS_BAR=off"]
    if ca_bundle:
        lines.append(f"export PIP_CERT={ca_bundle} SSL_CERT_FILE={ca_bundle} REQUESTS_CA_BUNDLE={ca_bundle} "
                     f"GIT_SSL_CAINFO={ca_bundle}")
    lines += spec.pre_install
    lines += [f"python3 -m venv --system-site-packages {VENV}", f"export PATH={VENV}/bin:$PATH VIRTUAL_ENV={VENV}"]
    if spec.pip_packages:
        lines.append(f"pip install {' '.join(shlex.quote(p) for p in spec.pip_packages)}")
    lines.append(spec.install or "pip install -e /repo")
    # The Debian python3-pytest is visible through --system-site-packages; only a venv without any
    # pytest (an install that hid it) needs one from PyPI.
    lines.append("python -c 'import pytest' 2>/dev/null || pip install pytest")
    lines.append("python -m pytest --version")
    # Each container copies its instance's own tree into /repo: the image keeps only the folder,
    # owned by the sandbox user so agents can create files at the top of the repository.
    lines += ["cd /", "find /repo -mindepth 1 -delete", "chown 1000:1000 /repo", f"rm -rf {BUILD_DIR}"]
    return "\n".join(lines) + "\n"


def _tar_bytes(entries: Iterable[tuple[str, Path]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for arcname, path in entries:
            tar.add(str(path), arcname=arcname)
    return buf.getvalue()


def ensure_swebench_image(client: docker.DockerClient, spec: ImageSpec, log: Log = print,
                          timeout_s: float = BUILD_TIMEOUT_S, ca_bundle: Path | None = HOST_CA_BUNDLE) -> str:
    """The image for ``spec``: reused when its tag exists, else built (network only while building)."""
    tag = spec.tag
    if image_exists(client, tag):
        return tag
    if not image_exists(client, spec.base_image):
        raise SandboxError(f"sandbox image {spec.base_image} is missing; run `dgm setup`")
    if spec.source is None:
        raise TaskError(f"{spec.repo}: no local git repository holds {spec.commit[:12]}; load the dataset again "
                        "(with --repos-dir if you keep mirrors) before building its image")
    log(f"building {tag} for {spec.repo}@{spec.commit[:12]} (pip, with network) ...")
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dgm-swebench-build-") as tmp:
        tree = Path(tmp) / "repo"
        export_tree(spec.source, spec.commit, tree)
        bundle = ca_bundle if ca_bundle is not None and ca_bundle.is_file() else None
        script = Path(tmp) / "build.sh"
        script.write_text(build_script(spec, f"{BUILD_DIR}/ca.crt" if bundle else None))
        build_files = [("tmp/dgm-build/build.sh", script)] + ([("tmp/dgm-build/ca.crt", bundle)] if bundle else [])
        _run_build(client, spec, tag, [_tar_bytes([("repo", tree)]), _tar_bytes(build_files)], timeout_s)
    log(f"built {tag} in {time.monotonic() - start:.0f} s")
    return tag


def _run_build(client: docker.DockerClient, spec: ImageSpec, tag: str, archives: list[bytes], timeout_s: float) -> None:
    """Create the build container (bridge network, root), run the script, commit, remove."""
    env = {k: os.environ[k] for k in PROXY_VARIABLES if os.environ.get(k)}
    exports = "".join(f"export {k}={shlex.quote(v)}; " for k, v in env.items())
    # The proxy variables go in the command, not the container's environment: commit would bake the
    # container's environment into the image.
    command = ["bash", "-c", f"{exports}exec bash {BUILD_DIR}/build.sh"]
    labels = {MANAGED_LABEL: "1", OWNER_LABEL: str(os.getpid()), ROLE_LABEL: "swebench-build"}
    try:
        container = client.containers.create(spec.base_image, command=command, labels=labels, network_mode="bridge",
                                             detach=True)
    except APIError as exc:
        raise SandboxError(f"cannot create the build container for {tag}: {exc.explanation or exc}") from None
    try:
        for archive in archives:
            container.put_archive("/", archive)
        container.start()
        _, exit_code = wait_or_kill(container, timeout_s)
        output = container.logs(stdout=True, stderr=True, tail=200).decode("utf-8", "replace")
        if exit_code is None:
            raise SandboxError(f"building {tag} timed out after {timeout_s:.0f} s: {output_tail(output, LOG_TAIL_LINES)}")
        if exit_code != 0:
            raise SandboxError(f"building {tag} failed (exit {exit_code}): {output_tail(output, LOG_TAIL_LINES)}")
        repository, _, version = tag.partition(":")
        container.commit(repository=repository, tag=version, changes=[
            f"ENV PATH={VENV}/bin:{BASE_PATH}",
            f"ENV VIRTUAL_ENV={VENV}",
            # Labels merge with the build container's: overwrite the ones that described the build.
            f'LABEL {MANAGED_LABEL}=1 {ROLE_LABEL}={IMAGE_ROLE} {OWNER_LABEL}="" dgm.swebench.repo={spec.repo}',
            'CMD ["bash"]',
        ])
    except APIError as exc:
        raise SandboxError(f"docker failed while building {tag}: {exc.explanation or exc}") from None
    finally:
        try:
            container.remove(force=True)
        except (NotFound, APIError):
            pass  # left for `dgm cleanup`: it carries our labels


def spec_for_task(task: Task) -> ImageSpec:
    """The image spec of a loaded SWE-bench task, from the files the loader wrote next to it."""
    try:
        instance = json.loads((task.root / INSTANCE_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise TaskError(f"{task.id}: {task.root / INSTANCE_FILE} is unreadable ({exc}); load the dataset again") from None
    source = None
    try:
        recorded = json.loads((task.root / SOURCE_FILE).read_text(encoding="utf-8")).get("git_dir")
        source = Path(recorded) if recorded else None
    except (OSError, json.JSONDecodeError):
        pass  # no usable source: only a build needs one, and it says so
    spec = ImageSpec.from_instance(instance, source)
    if task.image != spec.tag:
        raise TaskError(f"{task.id}: its image {task.image} does not match its instance ({spec.tag}); load it again")
    return spec


def prepare_images(tasks: list[Task], client: docker.DockerClient, log: Log = print,
                   timeout_s: float = BUILD_TIMEOUT_S) -> list[str]:
    """Build the missing per-repository images of ``tasks`` (SWE-bench ones; others are ignored),
    one build per distinct image; returns the tags, all present afterwards."""
    specs: dict[str, ImageSpec] = {}
    for task in tasks:
        if task.benchmark != "swebench" or task.image is None:
            continue
        spec = spec_for_task(task)
        if spec.tag not in specs or specs[spec.tag].source is None:
            specs[spec.tag] = spec
    missing = [spec for tag, spec in specs.items() if not image_exists(client, tag)]
    if missing:
        log(f"{len(missing)} of {len(specs)} SWE-bench image(s) to build")
    for spec in missing:
        ensure_swebench_image(client, spec, log, timeout_s)
    return sorted(specs)


def remove_swebench_images(client: docker.DockerClient, tags: Iterable[str]) -> int:
    """Remove the given images if present (tests and `dgm cleanup`); returns how many went."""
    removed = 0
    for tag in tags:
        try:
            client.images.remove(tag, force=True)
            removed += 1
        except NotFound:
            pass
    return removed

