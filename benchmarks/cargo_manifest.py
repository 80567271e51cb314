"""The one change to a Rust exercise's Cargo.toml the grader accepts: its crate dependencies.

Polyglot's Rust exercises list `Cargo.toml` among the files to edit, and some solutions need a crate
(`rand`, `regex`, `itertools`; the track's own examples do). But a manifest also decides how the tests
are built and run: a `build` script, `[patch]`, `[profile]`, a `path` or `git` dependency would all run
the patch's code, or code it names, before or instead of the tests. So the graded manifest is always
the untouched one with only its `[dependencies]` table taken from the patch, and only entries of the
form `name = "version"` or `name = { version = "...", features = [...], default-features = ... }`.
Crates resolve from the image's offline registry alone (Debian's crate packages). A requirement that
no version there meets (the track's examples ask for `rand = "0.3.12"`, `itertools = "0.5"`, `regex =
"0.2"`) is widened to the newest series the image has (`sandbox.image.OFFLINE_CRATES`): the only
version that could be had offline, which builds three of the four examples that need it. A crate the
registry does not hold fails the build, as a crate that does not exist would.
"""

from __future__ import annotations

import json
import re
import tomllib

from sandbox.image import OFFLINE_CRATES

MANIFEST = "Cargo.toml"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
VERSION = re.compile(r"[0-9A-Za-z.*^~<>=, +-]{1,64}")
FEATURE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_/+-]{0,63}")
ALLOWED_KEYS = {"version", "features", "default-features"}
MAX_DEPENDENCIES = 32
SECTION = re.compile(r"^\s*\[")
DEPENDENCIES_HEADER = re.compile(r"^\s*\[\s*dependencies\s*\]\s*(#.*)?$")
# A plain, caret or tilde requirement: `0.5`, `^0.3.12`, `~1.2`. Others (`>=`, `*`, `=`) are kept as written.
SIMPLE_REQUIREMENT = re.compile(r"[\^~]?(\d+)(?:\.(\d+))?(?:\.\d+)?")


def dependencies(text: str) -> tuple[dict[str, dict], list[str]]:
    """The acceptable dependency entries of a manifest (as tables) and why each other one was left out."""
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return {}, [f"Cargo.toml is not valid TOML ({str(exc)[:80]})"]
    table = data.get("dependencies", {})
    if not isinstance(table, dict):
        return {}, ["[dependencies] is not a table"]
    kept: dict[str, dict] = {}
    dropped: list[str] = []
    for name, value in table.items():
        entry = {"version": value} if isinstance(value, str) else value
        reason = _refusal(name, entry)
        if reason is None and len(kept) >= MAX_DEPENDENCIES:
            reason = f"more than {MAX_DEPENDENCIES} dependencies"
        if reason:
            dropped.append(f"dependency {name[:64]!r}: {reason}")
        else:
            kept[name] = entry
    return kept, dropped


def _refusal(name: str, entry: object) -> str | None:
    if not NAME.fullmatch(name):
        return "not a crate name"
    if not isinstance(entry, dict):
        return "neither a version nor a table"
    extra = set(entry) - ALLOWED_KEYS
    if extra:
        return f"only version, features and default-features are accepted (not {sorted(extra)[0]})"
    version = entry.get("version")
    if not isinstance(version, str) or not VERSION.fullmatch(version):
        return "needs a plain version requirement"
    features = entry.get("features", [])
    if not isinstance(features, list) or not all(isinstance(f, str) and FEATURE.fullmatch(f) for f in features):
        return "features must be a list of feature names"
    if not isinstance(entry.get("default-features", True), bool):
        return "default-features must be true or false"
    return None


def series(requirement: str) -> str | None:
    """The semver-compatible series a simple requirement names (`0.5`, `^0.3.12` -> `0.3`, `1.0` -> `1`)."""
    match = SIMPLE_REQUIREMENT.fullmatch(requirement.strip())
    if match is None:
        return None
    major, minor = match.group(1), match.group(2)
    return major if major != "0" or minor is None else f"0.{minor}"


def widened(name: str, requirement: str) -> str:
    """``requirement``, or the newest series the image has when it names one the image lacks."""
    available = OFFLINE_CRATES.get(name)
    wanted = series(requirement)
    if not available or wanted is None or wanted in available:
        return requirement
    return available[-1]


def merged(untouched: str, patched: str) -> tuple[str, list[str]]:
    """The manifest to grade with: ``untouched`` with its `[dependencies]` replaced by the acceptable
    entries of ``patched`` (requirements widened where the image lacks the series); and what of the
    patched dependencies was left out or widened. Every other change the patch made to the manifest
    is dropped."""
    kept, dropped = dependencies(patched)
    for name, entry in kept.items():
        version = widened(name, entry["version"])
        if version != entry["version"]:
            dropped.append(f"dependency {name!r}: {entry['version']} widened to {version}, the series available offline")
            entry["version"] = version
    lines = _without_dependencies(untouched).rstrip("\n").splitlines()
    if kept:
        lines += ["", "[dependencies]", *(f"{name} = {_inline(entry)}" for name, entry in kept.items())]
    return "\n".join(lines) + "\n", dropped


def _without_dependencies(text: str) -> str:
    out, inside = [], False
    for line in text.splitlines():
        if SECTION.match(line):
            inside = bool(DEPENDENCIES_HEADER.match(line))
        if not inside:
            out.append(line)
    return "\n".join(out) + "\n"


def _inline(entry: dict) -> str:
    # JSON strings are valid TOML basic strings for the characters the patterns above allow.
    parts = [f"version = {json.dumps(entry['version'])}"]
    if entry.get("features"):
        parts.append(f"features = [{', '.join(json.dumps(f) for f in entry['features'])}]")
    if "default-features" in entry:
        parts.append(f"default-features = {'true' if entry['default-features'] else 'false'}")
    return "{ " + ", ".join(parts) + " }"
