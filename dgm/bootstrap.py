"""`dgm setup` and `dgm doctor`: get a bare Debian machine to a working sandbox, or say what is missing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

from dgm.errors import DgmError, SandboxError
from sandbox.engine import docker_client, engine_running, ensure_engine
from sandbox.image import MANAGED_LABEL, RECIPES, SANDBOX, build_image, default_tag, ensure_image, image_exists


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True  # optional ones (API key, benchmark images) do not fail `dgm doctor`


def setup(image: str | None = None, log: Callable[[str], None] = print, extra: list[str] | None = None) -> str:
    """Idempotent: start (or install) the engine, build the sandbox image (and any ``extra`` recipe
    images, e.g. "polyglot") if they are not there yet."""
    tag = image or default_tag()
    ensure_engine(log)
    client = docker_client()
    if image_exists(client, tag):
        log(f"sandbox image {tag} is ready")
    else:
        build_image(client, SANDBOX, log, tag=tag)
        log(f"built sandbox image {tag}")
    for name in extra or []:
        if name not in RECIPES:
            raise SandboxError(f"unknown image '{name}' (known: {', '.join(sorted(RECIPES))})")
        ensure_image(client, RECIPES[name], log)
    return tag


def node_images(client) -> list[str]:
    """The tags of dgm's own images on this engine (those labelled dgm.managed): what a Ray node offers."""
    return sorted(tag for image in client.images.list(filters={"label": f"{MANAGED_LABEL}=1"}) for tag in image.tags)


def start_ray_node(address: str | None, log: Callable[[str], None] = print) -> None:
    """`ray start` on this machine advertising its images: joining the cluster at ``address``, or as
    the cluster's head when ``address`` is None (docs/CLUSTER.md)."""
    from dgm.ray_executor import image_resources, import_ray

    import_ray()  # one clear line when Ray is missing
    images = node_images(docker_client())
    if not images:
        raise SandboxError("no dgm image on this machine to offer the cluster: run `dgm setup` first")
    where = ["--head"] if address is None else ["--address", address]
    command = [sys.executable, "-m", "ray.scripts.scripts", "start", *where, "--resources", image_resources(images)]
    log(f"ray start {' '.join(where)}, offering {', '.join(images)}")
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
        raise DgmError(f"ray start failed: {lines[-1] if lines else f'exit code {proc.returncode}'}")
    log("this machine is a node of the Ray cluster" + (f" at {address}" if address else " (its head)"))


def doctor(image: str | None = None, api_key_env: str = "OPENAI_API_KEY", env: dict[str, str] | None = None) -> list[Check]:
    tag = image or default_tag()
    checks = [
        Check("python", sys.version_info >= (3, 11), sys.version.split()[0], "install Python 3.11 or newer"),
        Check("git", shutil.which("git") is not None, shutil.which("git") or "not found", "apt-get install -y git"),
    ]
    running = engine_running()
    checks.append(Check("docker engine", running, "answers" if running else "no engine answers", "dgm setup"))
    if running:
        client = docker_client()
        present = image_exists(client, tag)
        checks.append(Check("sandbox image", present, tag if present else f"{tag} missing", "dgm setup"))
        polyglot = RECIPES["polyglot"].tag
        has_polyglot = image_exists(client, polyglot)
        detail = polyglot if has_polyglot else f"{polyglot} missing (only --benchmark polyglot needs it)"
        checks.append(Check("polyglot image", has_polyglot, detail, "dgm setup --polyglot", required=False))
    else:
        checks.append(Check("sandbox image", False, "unknown (no engine)", "dgm setup"))
    has_key = bool((env or {}).get(api_key_env))
    checks.append(Check("API key", has_key, f"${api_key_env} {'is set' if has_key else 'is not set (only --demo works)'}",
                        f"export {api_key_env}=...", required=False))
    return checks
