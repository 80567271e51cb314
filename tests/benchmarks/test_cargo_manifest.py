"""The Rust manifest the grader builds with: the untouched Cargo.toml plus the patch's plain crate
dependencies, nothing else of the patch's manifest."""

from __future__ import annotations

import tomllib
from pathlib import Path

from benchmarks.cargo_manifest import dependencies, merged
from benchmarks.protect import strip_protected
from benchmarks.task import Task

UNTOUCHED = '''[package]
edition = "2021"
name = "gigasecond"
version = "1.1.0"

[dependencies]
time = "0.3"

[lints.clippy]
new_without_default = "allow"
'''


def test_plain_dependencies_replace_the_untouched_ones_and_the_rest_stays() -> None:
    patched = UNTOUCHED.replace('time = "0.3"', 'time = "0.3"\nrand = { version = "0.8", features = ["small_rng"], '
                                                'default-features = false }')
    text, dropped = merged(UNTOUCHED, patched)
    data = tomllib.loads(text)
    assert dropped == []
    assert data["dependencies"] == {"time": {"version": "0.3"},
                                    "rand": {"version": "0.8", "features": ["small_rng"], "default-features": False}}
    assert data["package"] == {"edition": "2021", "name": "gigasecond", "version": "1.1.0"}
    assert data["lints"] == {"clippy": {"new_without_default": "allow"}}


def test_everything_that_would_run_code_or_fetch_it_is_left_out() -> None:
    patched = '''[package]
edition = "2021"
name = "gigasecond"
version = "1.1.0"
build = "build.rs"

[dependencies]
time = "0.3"
local = { path = "/tmp/x" }
remote = { git = "https://example.com/x.git" }
renamed = { version = "1", package = "other" }
"bad name!" = "1"
weird = "1; rm -rf /"
feat = { version = "1", features = ["a\\"b"] }

[patch.crates-io]
time = { path = "fake-time" }

[build-dependencies]
cc = "1"

[profile.test]
opt-level = 3
'''
    text, dropped = merged(UNTOUCHED, patched)
    data = tomllib.loads(text)
    assert data["dependencies"] == {"time": {"version": "0.3"}}
    assert set(data) == {"package", "dependencies", "lints"}
    assert "build" not in data["package"]
    assert len(dropped) == 6 and all(line.startswith("dependency ") for line in dropped)


def test_a_manifest_that_is_not_toml_keeps_no_dependency() -> None:
    text, dropped = merged(UNTOUCHED, "[package\nname = ")
    assert "dependencies" not in tomllib.loads(text)
    assert dropped and "not valid TOML" in dropped[0]
    assert dependencies('[dependencies]\nx = "1"\n') == ({"x": {"version": "1"}}, [])


def _task(tmp_path: Path, editable: tuple[str, ...] | None) -> Task:
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True, exist_ok=True)
    (repo / "Cargo.toml").write_text(UNTOUCHED)
    (tmp_path / "hidden").mkdir(exist_ok=True)
    return Task(id="rust-x", title="x", difficulty="medium", kind="feature", problem="p", root=tmp_path,
                test_command="cargo test", fail_to_pass=(), pass_to_pass=(), repo_dir=repo,
                hidden_dir=tmp_path / "hidden", runner="cargo", rule="all", editable=editable)


PATCH = '''diff --git a/Cargo.toml b/Cargo.toml
--- a/Cargo.toml
+++ b/Cargo.toml
@@ -5,2 +5,3 @@
 [dependencies]
 time = "0.3"
+rand = "0.8"
'''


def test_the_manifest_is_kept_for_merging_only_where_the_task_lets_it_be_edited(tmp_path) -> None:
    assert strip_protected(PATCH, _task(tmp_path, ("src/lib.rs", "Cargo.toml"))) == (PATCH, [])
    assert strip_protected(PATCH, _task(tmp_path, ("src/lib.rs",))) == ("", ["Cargo.toml"])
    assert strip_protected(PATCH, _task(tmp_path, None)) == ("", ["Cargo.toml"])


def test_a_requirement_the_offline_registry_cannot_meet_is_widened_to_the_series_it_has() -> None:
    # The track's examples: robot-name asks for rand 0.3.12, alphametics itertools 0.5, pig-latin regex 0.2.
    patched = '[dependencies]\nrand = "0.3.12"\nitertools = { version = "0.5" }\nregex = "^0.2"\n' \
              'thiserror = "1.0"\nanyhow = ">=0.9"\nunknown = "0.1"\n'
    text, notes = merged(UNTOUCHED, patched)
    assert tomllib.loads(text)["dependencies"] == {
        "rand": {"version": "0.8"}, "itertools": {"version": "0.13"}, "regex": {"version": "1"},
        "thiserror": {"version": "1.0"},  # Debian has thiserror 1 and 2: kept as asked
        "anyhow": {"version": ">=0.9"},  # not a simple requirement: as written
        "unknown": {"version": "0.1"},  # not in the registry: the build says so
    }
    assert notes == ["dependency 'rand': 0.3.12 widened to 0.8, the series available offline",
                     "dependency 'itertools': 0.5 widened to 0.13, the series available offline",
                     "dependency 'regex': ^0.2 widened to 1, the series available offline"]
