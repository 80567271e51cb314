"""The Polyglot exercises that need more than a bare toolchain, in the real repository's layout:
a Go example that uses a newer standard library than its go.mod names (slices, Go 1.21), a Java
exercise built with an extra library (org.json), one whose library no offline source has (RxJava 2),
and a Rust example that builds with a crate (its .meta/Cargo-example.toml). The refactoring exercise
is in test_polyglot_refactor.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchmarks.check import check_suite
from benchmarks.grader import grade
from benchmarks.polyglot import load_polyglot
from benchmarks.task import Task
from kernel.patches import diff_trees

FIXTURE = Path(__file__).parents[1] / "fixtures" / "polyglot-quirks"
RXJAVA = "io.reactivex.rxjava2:rxjava:2.2.12"


def _tasks() -> dict[str, Task]:
    return {task.id: task for task in load_polyglot(FIXTURE)}


def test_the_loader_names_what_an_exercise_needs() -> None:
    tasks = _tasks()
    assert sorted(tasks) == ["go-widest-gap", "java-event-tally", "java-json-badge", "rust-dice-roll"]
    assert tasks["java-event-tally"].unavailable.startswith(f"needs {RXJAVA} from Maven Central")
    assert "/usr/share/java/json-latest.jar" in tasks["java-json-badge"].test_command
    assert not tasks["java-json-badge"].unavailable and not tasks["rust-dice-roll"].unavailable
    # The Rust reference brings its own manifest: the crate it builds with.
    patch = tasks["rust-dice-roll"].solution_patch or ""
    assert "+++ b/Cargo.toml" in patch and '+rand = "0.8"' in patch


@pytest.mark.docker
def test_each_quirk_is_checked_as_it_should_be(sandbox, polyglot_image) -> None:
    checks = check_suite(sandbox, list(_tasks().values()))
    for task_id in ("go-widest-gap", "java-json-badge", "rust-dice-roll"):
        check = checks[task_id]
        assert (check.status, check.untouched, check.reference) == ("ok", "fails", ["passes", "passes"]), check
    rx = checks["java-event-tally"]
    assert rx.status == "broken" and rx.untouched == "not run" and rx.reference == []
    assert rx.reason.startswith(f"cannot run offline: needs {RXJAVA}")


@pytest.mark.docker
def test_only_the_crate_dependencies_of_a_patched_manifest_are_graded(sandbox, polyglot_image, tmp_path) -> None:
    """A manifest that names a build script and a path dependency would run code before the tests
    (and here would not even build): the grader keeps the manifest's plain crate dependencies alone."""
    task = _tasks()["rust-dice-roll"]
    after = tmp_path / "after"
    shutil.copytree(task.repo_dir, after)
    exercise = FIXTURE / "rust/exercises/practice/dice-roll"
    shutil.copyfile(exercise / ".meta/example.rs", after / "src/lib.rs")
    (after / "Cargo.toml").write_text(
        '[package]\nedition = "2021"\nname = "dice_roll"\nversion = "1.0.0"\nbuild = "build.rs"\n\n'
        '[dependencies]\nrand = "0.8"\nevil = { path = "/tmp/evil" }\n')
    (after / "build.rs").write_text('fn main() { panic!("the build script ran") }\n')
    result = grade(sandbox, task, diff_trees(task.repo_dir, after))
    assert result.stripped_paths == ["build.rs"]
    assert result.error is None, result.output[-2000:]
    assert result.resolved, result.output[-2000:]
    assert set(result.tests.values()) == {"PASSED"} and len(result.tests) >= 3, result.tests


@pytest.mark.docker
def test_a_crate_the_image_prebuilt_is_not_compiled_again(sandbox, polyglot_image) -> None:
    """rand 0.8 is one of the image's warm crate sets (sandbox.image.RUST_WARM_SETS): the grade builds
    the exercise alone. A change to the grading environment that made Cargo's hashes differ from the
    warm build's would show here as `Compiling rand`."""
    task = _tasks()["rust-dice-roll"]
    result = grade(sandbox, task, task.solution_patch or "")
    assert result.resolved, result.output[-2000:]
    compiled = [line.split()[1] for line in result.output.splitlines() if line.strip().startswith("Compiling ")]
    assert compiled == ["dice_roll"], result.output[:2000]
