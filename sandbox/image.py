"""Building sandbox images offline: debootstrap a Debian root file system, `docker import` it.

No registry is needed (none can be reached on our machines); only a Debian package mirror. Each
image is a `Recipe`: the packages, optional steps run in the root file system before import (e.g.
installing JavaScript test tools while the npm registry is reachable at build time), and a version
in the tag, so a changed recipe gets a new image rather than silently reusing an old one.
"""

from __future__ import annotations

import json
import os
import shlex
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
    suite: str = SUITE  # the Debian release debootstrap installs
    # Shell commands run as root in a container of the imported image (no network), whose result is
    # committed as the image: warm caches, built the way grading will use them.
    warmups: tuple[str, ...] = ()

    @property
    def tag(self) -> str:
        return f"dgm-{self.name}:{self.suite}-{self.version}"

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


def output_tail(text: str, lines: int = 3) -> str:
    """The last non-blank lines of a command's output, on one line: what an error message quotes."""
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:] if line.strip())


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
        raise SandboxError(f"npm install of the JavaScript test tools failed: {output_tail(proc.stderr or proc.stdout)}")
    if not (target / "node_modules" / ".bin" / "jest").exists():
        raise SandboxError("npm install finished but jest is missing from the JavaScript test tools")
    # Root-owned and world-readable: every container (uid 1000) uses it, none may change it.
    subprocess.run(["chown", "-R", "0:0", str(target)], check=True)
    subprocess.run(["chmod", "-R", "u+rwX,go+rX,go-w", str(target)], check=True)


def apt_step(*packages: str) -> Step:
    """A step that installs ``packages`` with apt-get inside the root file system.

    For what debootstrap's own resolver cannot install: packages that depend on virtual packages
    (Debian's Rust crates), or a package from another release, named `name/release` (that release's
    index is added for this step only and removed afterwards)."""

    def step(rootfs: Path, log: Log) -> None:
        log(f"apt-get install {' '.join(packages)} ...")
        releases = sorted({p.split("/", 1)[1] for p in packages if "/" in p})
        extra = rootfs / "etc/apt/sources.list.d/dgm-extra.list"
        extra.write_text("".join(f"deb {MIRROR} {release} main\n" for release in releases))
        shutil.copyfile("/etc/resolv.conf", rootfs / "etc/resolv.conf")
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive", "LANG": "C.UTF-8"}
        try:
            for cmd in (["apt-get", "update", "-q"],
                        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]):
                proc = subprocess.run(["chroot", str(rootfs), *cmd], env=env, capture_output=True, text=True)
                if proc.returncode != 0:
                    raise SandboxError(f"`{' '.join(cmd)}` in the image failed: {output_tail(proc.stderr or proc.stdout)}")
        finally:
            extra.unlink(missing_ok=True)
            (rootfs / "etc/resolv.conf").write_text("")

    return step


# The standard-library packages the Polyglot Go exercises import (their tests, stubs and examples):
# compiled once into a cache the grading command copies, so no grade compiles `testing` or `fmt` again.
GO_WARM_IMPORTS = ("bufio", "bytes", "container/heap", "container/list", "crypto/rand", "errors", "fmt", "io",
                   "log", "maps", "math", "math/big", "math/bits", "math/rand", "os", "reflect", "regexp",
                   "runtime", "slices", "sort", "strconv", "strings", "sync", "testing", "text/template", "time",
                   "unicode", "unicode/utf8")
GO_WARM_CACHE = "/opt/dgm-go/cache"
# Grading's Go environment; its build cache is a copy of the image's warm one (Go needs it writable).
GO_ENV = ("GOFLAGS=-mod=mod GOPROXY=off GOSUMDB=off GOTOOLCHAIN=local GO111MODULE=on "
          "GOCACHE=/tmp/dgm-go/cache GOPATH=/tmp/dgm-go/path")


def _go_warmup() -> str:
    body = "\n".join(f'\t_ "{name}"' for name in GO_WARM_IMPORTS if name != "testing")
    test = 'package warm\n\nimport "testing"\n\nfunc TestWarm(t *testing.T) {}\n'
    return (f"set -e; mkdir -p /opt/dgm-go/warm; cd /opt/dgm-go/warm; "
            f"printf 'module warm\\n\\ngo 1.18\\n' > go.mod; "
            f"printf '%s' {shlex.quote(f'package warm{chr(10)}{chr(10)}import ({chr(10)}{body}{chr(10)}){chr(10)}')} > warm.go; "
            f"printf '%s' {shlex.quote(test)} > warm_test.go; "
            f"export {GO_ENV}; go test -v ./...; "
            f"mkdir -p {GO_WARM_CACHE}; cp -a /tmp/dgm-go/cache/. {GO_WARM_CACHE}/; rm -rf /tmp/dgm-go; "
            f"chmod -R a+rX,go-w /opt/dgm-go")


# Java's two JVM starts per grade (javac, then JUnit's launcher) mostly load classes: class-data
# sharing archives of what they load, dumped once here, halve the launcher's start. Each archive is
# only used by the same JDK with the same class path; the JVM ignores one that does not match.
JAVA_CDS_DIR = "/opt/dgm-java"
JUNIT_JAR = "/usr/share/java/junit-platform-console-standalone.jar"
ASSERTJ_JAR = "/usr/share/java/assertj-core.jar"
JAVA_TEST_WARMUP = (
    "import org.junit.jupiter.api.Test;\nimport org.junit.jupiter.api.DisplayName;\n"
    "import static org.assertj.core.api.Assertions.assertThat;\n"
    "public class WarmTest {\n  @Test @DisplayName(\"warm\") public void warm() {\n"
    "    assertThat(java.util.List.of(1, 2)).containsExactly(1, 2);\n"
    "    assertThat(\"dgm\").isEqualTo(\"dgm\");\n  }\n}\n")


def _java_warmup() -> str:
    d = JAVA_CDS_DIR
    return (f"set -e; mkdir -p {d}/src {d}/classes; printf '%s' {shlex.quote(JAVA_TEST_WARMUP)} > {d}/src/WarmTest.java; "
            f"javac -J-XX:ArchiveClassesAtExit={d}/javac.jsa -d {d}/classes -cp {JUNIT_JAR}:{ASSERTJ_JAR} "
            f"{d}/src/WarmTest.java; "
            f"java -XX:ArchiveClassesAtExit={d}/junit.jsa -jar {JUNIT_JAR} execute --disable-banner "
            f"--class-path {d}/classes:{ASSERTJ_JAR} --scan-class-path={d}/classes; "
            f"rm -rf {d}/src {d}/classes; chmod -R a+rX,go-w {d}")


# Aider's Polyglot benchmark: the six toolchains, from Debian trixie (Go 1.24, Rust 1.85, OpenJDK 21,
# JUnit 5.10, AssertJ 3.26, Node 20, g++ 14), so grading needs no network. Java runs on javac and
# JUnit's console launcher instead of Gradle (whose plugins and jars live on Maven Central). C++ links
# bookworm's Catch2 2.13 with its prebuilt main, as Exercism's own test runner does (the exercises'
# EXERCISM_TEST_SUITE mode), so no grade compiles Catch's 17,000-line main again. The Rust crates
# the exercises' Cargo.toml files ask for come from Debian's crate packages, read offline from
# /usr/share/cargo/registry. Details: docs/POLYGLOT.md.
RUST_CRATES = ("librust-anyhow-dev", "librust-thiserror-dev", "librust-thiserror-1-dev", "librust-time-dev",
               "librust-rand-dev", "librust-num-bigint-dev", "librust-num-traits-dev", "librust-itertools-dev",
               "librust-permutohedron-dev", "librust-regex-dev", "librust-counter-dev")
CARGO_REGISTRY = "/usr/share/cargo/registry"
# The semver-compatible series of each crate the image's registry holds (what Debian trixie packages),
# checked when the image is built: the grader widens a requirement no series meets to the newest one.
OFFLINE_CRATES: dict[str, tuple[str, ...]] = {
    "anyhow": ("1",), "thiserror": ("1", "2"), "time": ("0.3",), "rand": ("0.8",), "num-bigint": ("0.4",),
    "num-traits": ("0.2",), "itertools": ("0.13",), "permutohedron": ("0.2",), "regex": ("1",), "counter": ("0.6",),
}


# Grading's Cargo environment. A grade builds once: no incremental-compilation cache and no debug info
# to write (both only cost time; overflow checks and debug assertions stay as in any test build). Its
# target folder starts as a copy of the image's warm one (below), as Go's build cache does.
RUST_WARM_TARGET = "/opt/dgm-rust/target"
CARGO_ENV = ("CARGO_HOME=/tmp/dgm-cargo/home CARGO_TARGET_DIR=/tmp/dgm-cargo/target CARGO_NET_OFFLINE=true "
             "CARGO_TERM_COLOR=never CARGO_INCREMENTAL=0 CARGO_PROFILE_DEV_DEBUG=0 CARGO_PROFILE_TEST_DEBUG=0")
# crates.io is replaced by Debian's crate packages in the image: a dependency the exercise's Cargo.toml
# asks for (time, rand, anyhow, ...) resolves offline, and any other fails at once.
CARGO_SOURCE = (f"--config 'source.crates-io.replace-with=\"debian\"' "
                f"--config 'source.debian.directory=\"{CARGO_REGISTRY}\"'")
# The dependency sets of Polyglot's Rust exercises (their Cargo-example.toml, widened to the series the
# registry holds), each built once into the warm target folder: a grade whose manifest asks for the
# same set finds its crates built (regex alone took 12 s of CPU in every grade of rust-pig-latin). Each
# set is built on its own, so the crates get the features that set gives them and no more.
RUST_WARM_SETS: tuple[dict[str, str], ...] = (
    {"itertools": "0.13", "permutohedron": "0.2"}, {"num-bigint": "0.4", "num-traits": "0.2"}, {"time": "0.3"},
    {"anyhow": "1", "thiserror": "1"}, {"regex": "1"}, {"counter": "0.6"}, {"rand": "0.8"},
)


def _rust_warmup() -> str:
    steps = ["set -e", f"export {CARGO_ENV}"]
    for i, crates in enumerate(RUST_WARM_SETS):
        manifest = (f'[package]\\nname = "dgm-warm-{i}"\\nversion = "0.1.0"\\nedition = "2021"\\n\\n[dependencies]\\n'
                    + "".join(f'{name} = "{version}"\\n' for name, version in crates.items()))
        folder = f"/opt/dgm-rust/warm/{i}"
        steps += [f"mkdir -p {folder}/src", f"touch {folder}/src/lib.rs", f"printf '{manifest}' > {folder}/Cargo.toml",
                  f"(cd {folder} && cargo test --offline {CARGO_SOURCE} --no-run)"]
    # Read-only: a grade copies it (a cargo build writes its target folder).
    steps += [f"mkdir -p /opt/dgm-rust; mv /tmp/dgm-cargo/target {RUST_WARM_TARGET}",
              "rm -rf /opt/dgm-rust/warm /tmp/dgm-cargo", "chmod -R a+rX,go-w /opt/dgm-rust"]
    return "; ".join(steps)


def _crates_check() -> str:
    # Fails the build if Debian's packages stopped providing a series the grader counts on.
    checks = " && ".join(f"ls -d {CARGO_REGISTRY}/{name}-{series}.* >/dev/null"
                         for name, all_series in OFFLINE_CRATES.items() for series in all_series)
    return f"set -e; {checks}"
POLYGLOT = Recipe(
    "polyglot", "3",
    ("python3", "python3-pytest", "git", "patch", "procps", "ca-certificates",
     "golang-go", "rustc", "cargo", "cmake", "make", "g++", "nodejs",
     "default-jdk-headless", "junit5", "libassertj-core-java"),
    steps=(apt_step(*RUST_CRATES, "libandroid-json-org-java", "libboost-date-time-dev", "catch2/bookworm"),
           install_js_tools),
    env=(f"PATH={JS_TOOLS_DIR}/node_modules/.bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",),
    description="Python, Go, Rust, JavaScript (jest), Java (JUnit 5), C++ (CMake): Aider's Polyglot, offline",
    suite="trixie",
    warmups=(_crates_check(), _go_warmup(), _java_warmup(), _rust_warmup()),
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
        log(f"debootstrap {recipe.suite} with {', '.join(recipe.packages)} ...")
        cmd = ["debootstrap", "--variant=minbase", f"--include={','.join(recipe.packages)}", recipe.suite,
               str(rootfs), MIRROR]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SandboxError(f"debootstrap failed: {output_tail(proc.stderr or proc.stdout)}")
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
    warm_up(client, tag, recipe.warmups, log)
    if not image_exists(client, tag):
        raise SandboxError(f"docker import did not produce {tag}")
    return tag


def warm_up(client: docker.DockerClient, tag: str, scripts: tuple[str, ...], log: Log = print) -> None:
    """Run each warm-up script in ``tag``'s image and commit it; if one fails, the image is removed
    (a half-warmed image under the final tag would pass for a built one next time)."""
    try:
        for script in scripts:
            _warm(client, tag, script, log)
    except BaseException:
        client.images.remove(tag, force=True)
        raise


def _warm(client: docker.DockerClient, tag: str, script: str, log: Log) -> None:
    """Run ``script`` as root in a container of ``tag`` with no network and commit the result as ``tag``."""
    log(f"warming {tag}: {script[:60]}...")
    container = client.containers.create(tag, ["bash", "-c", script], network_disabled=True, user="0",
                                          labels={MANAGED_LABEL: "1"})
    try:
        container.start()
        code = container.wait().get("StatusCode", 1)
        if code != 0:
            logs = container.logs().decode("utf-8", "replace")
            raise SandboxError(f"warming {tag} failed (exit {code}): {output_tail(logs)}")
        repo, _, version = tag.partition(":")
        # The container's command would become the image's: the default command is plain bash, as in
        # Debian's own images (an empty one does not replace the container's).
        container.commit(repository=repo, tag=version, changes=['CMD ["bash"]'])
    finally:
        container.remove(force=True)


def ensure_image(client: docker.DockerClient, recipe: Recipe, log: Log = print) -> str:
    """Build ``recipe``'s image unless it is already there; returns its tag."""
    if image_exists(client, recipe.tag):
        log(f"image {recipe.tag} is ready")
        return recipe.tag
    build_image(client, recipe, log)
    log(f"built image {recipe.tag}")
    return recipe.tag
