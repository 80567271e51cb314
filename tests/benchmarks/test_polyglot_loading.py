"""Loading a polyglot-benchmark checkout (no Docker): what the agent sees, what stays hidden, the
reference patch, the cache folder and the errors. The fixture checkout in tests/fixtures/polyglot
holds one small exercise per language, written for dgm in the real repository's layout."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from benchmarks.grader import strip_protected
from benchmarks.polyglot import LANGUAGES, load_polyglot
from benchmarks.registry import load_benchmark
from benchmarks.task import Task
from dgm.config import EvaluationConfig, dgm_home
from dgm.errors import TaskError
from sandbox.image import POLYGLOT

FIXTURE = Path(__file__).parents[1] / "fixtures" / "polyglot"
IDS = ["cpp-bit-count", "go-digit-sum", "java-pair-sum", "javascript-title-words", "python-vowel-tally",
       "rust-clamp-range"]
# Where each fixture exercise keeps its example and which solution file that example becomes.
EXAMPLES = {
    "cpp-bit-count": {".meta/example.cpp": "bit_count.cpp", ".meta/example.h": "bit_count.h"},
    "go-digit-sum": {".meta/example.go": "digit_sum.go"},
    "java-pair-sum": {".meta/src/reference/java/PairSum.java": "src/main/java/PairSum.java"},
    "javascript-title-words": {".meta/proof.ci.js": "title-words.js"},
    "python-vowel-tally": {".meta/example.py": "vowel_tally.py"},
    "rust-clamp-range": {".meta/example.rs": "src/lib.rs"},
}


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def _exercise(task_id: str) -> Path:
    language, slug = task_id.split("-", 1)
    return FIXTURE / language / "exercises" / "practice" / slug


def _copy_fixture(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    shutil.copytree(FIXTURE, root)
    return root


@pytest.fixture()
def tasks() -> dict[str, Task]:
    return {t.id: t for t in load_polyglot(FIXTURE)}


def test_every_language_becomes_one_task_graded_by_its_own_runner(tasks: dict[str, Task]) -> None:
    assert sorted(tasks) == IDS
    for task in tasks.values():
        assert (task.benchmark, task.rule, task.image) == ("polyglot", "all", POLYGLOT.tag)
        assert (task.fail_to_pass, task.pass_to_pass, task.difficulty, task.kind) == ((), (), "medium", "feature")
        assert task.runner == LANGUAGES[task.language].runner
    assert {t.language: t.runner for t in tasks.values()} == {
        "cpp": "catch2", "go": "go", "java": "junit", "javascript": "jest", "python": "pytest", "rust": "cargo"}


def test_tests_are_hidden_and_support_files_stay(tasks: dict[str, Task]) -> None:
    for task_id, task in tasks.items():
        config = json.loads((_exercise(task_id) / ".meta" / "config.json").read_text())
        visible = _files(task.repo_dir)
        assert set(task.hidden_files) == set(config["files"]["test"])
        assert not visible & set(task.hidden_files), task_id
        assert not any(name.startswith(".meta/") for name in visible), task_id  # the example lives there
        assert set(config["files"]["solution"]) <= visible, task_id
    assert {"go.mod"} <= _files(tasks["go-digit-sum"].repo_dir)
    assert {"CMakeLists.txt", "test/tests-main.cpp"} <= _files(tasks["cpp-bit-count"].repo_dir)
    assert {"package.json", "babel.config.js"} <= _files(tasks["javascript-title-words"].repo_dir)
    assert "src/main/java/Pair.java" in _files(tasks["java-pair-sum"].repo_dir)


def test_editable_files_are_the_solution_files(tasks: dict[str, Task]) -> None:
    assert tasks["rust-clamp-range"].editable == ("Cargo.toml", "src/lib.rs")
    assert tasks["java-pair-sum"].editable == ("src/main/java/PairSum.java",)  # not the provided Pair.java
    assert tasks["cpp-bit-count"].editable == ("bit_count.cpp", "bit_count.h")


@pytest.mark.parametrize("task_id", IDS)
def test_the_reference_patch_turns_the_stubs_into_the_example(tasks: dict[str, Task], tmp_path: Path,
                                                               task_id: str) -> None:
    task = tasks[task_id]
    assert task.solution_patch and task.solution_patch.startswith("diff --git a/")
    clean, stripped = strip_protected(task.solution_patch, task)
    assert stripped == [] and clean == task.solution_patch  # only editable files, so nothing is lost
    work = tmp_path / "work"
    shutil.copytree(task.repo_dir, work)
    subprocess.run(["git", "apply", "-"], cwd=work, input=task.solution_patch.encode(), check=True)
    for example, target in EXAMPLES[task_id].items():
        assert (work / target).read_bytes() == (_exercise(task_id) / example).read_bytes()
    assert _files(work) == _files(task.repo_dir)  # it replaces files, it adds none


def test_the_problem_is_introduction_then_instructions_then_the_files_to_edit(tasks: dict[str, Task]) -> None:
    problem = tasks["python-vowel-tally"].problem
    intro, main, append = (problem.index(s) for s in ("# Introduction", "# Instructions\n", "# Instructions append"))
    assert intro < main < append
    assert problem.rstrip().splitlines()[-1].startswith("Edit only vowel_tally.py to solve this")
    assert "Edit only src/main/java/PairSum.java" in tasks["java-pair-sum"].problem
    assert "tally(text)" not in problem  # the example's code never reaches the agent


def test_test_commands_never_reach_for_the_network(tasks: dict[str, Task]) -> None:
    assert "GOPROXY=off" in tasks["go-digit-sum"].test_command
    assert "--offline" in tasks["rust-clamp-range"].test_command
    assert "/opt/dgm-js/node_modules" in tasks["javascript-title-words"].test_command
    assert "gradle" not in tasks["java-pair-sum"].test_command
    # The C++ build runs in a folder named after the exercise: CMakeLists.txt derives names from it.
    assert "/tmp/dgm-cpp/bit-count" in tasks["cpp-bit-count"].test_command


def test_a_patch_touching_tests_or_other_files_is_stripped(tasks: dict[str, Task]) -> None:
    task = tasks["go-digit-sum"]
    patch = (task.solution_patch or "") + (
        "diff --git a/digit_sum_test.go b/digit_sum_test.go\nnew file mode 100644\n--- /dev/null\n"
        "+++ b/digit_sum_test.go\n@@ -0,0 +1 @@\n+package digitsum\n"
        "diff --git a/go.mod b/go.mod\n--- a/go.mod\n+++ b/go.mod\n"
        "@@ -1,3 +1,3 @@\n module digitsum\n \n-go 1.18\n+go 1.21\n")
    clean, stripped = strip_protected(patch, task)
    assert sorted(stripped) == ["digit_sum_test.go", "go.mod"]
    assert clean == task.solution_patch


def test_only_the_named_languages_load(tmp_path: Path) -> None:
    tasks = load_polyglot(FIXTURE, ["rust", "go", "rust"])
    assert [t.id for t in tasks] == ["go-digit-sum", "rust-clamp-range"]


def test_load_benchmark_reaches_the_loader_with_languages_and_tasks() -> None:
    config = EvaluationConfig(benchmark="polyglot", benchmark_path=FIXTURE, languages=["python", "java"],
                              tasks=["python-vowel-tally"])
    bench = load_benchmark(config)
    assert bench.name == "polyglot" and [t.id for t in bench.tasks] == ["python-vowel-tally"]


def test_a_second_load_reuses_the_cache_folders_and_an_edit_makes_a_new_one(tmp_path: Path) -> None:
    root = _copy_fixture(tmp_path)
    first = {t.id: t.root for t in load_polyglot(root)}
    assert all(folder.parent == dgm_home() / "cache" / "polyglot" for folder in first.values())
    stamp = (first["go-digit-sum"] / "repo" / "digit_sum.go").stat().st_mtime_ns
    again = {t.id: t.root for t in load_polyglot(root)}
    assert again == first
    assert (first["go-digit-sum"] / "repo" / "digit_sum.go").stat().st_mtime_ns == stamp  # not rewritten
    (root / "go" / "exercises" / "practice" / "digit-sum" / "digit_sum.go").write_text("package digitsum\n")
    changed = {t.id: t.root for t in load_polyglot(root)}
    assert changed["go-digit-sum"] != first["go-digit-sum"]
    del changed["go-digit-sum"], first["go-digit-sum"]
    assert changed == first  # the other exercises keep their folders


def test_concurrent_loads_agree_and_leave_no_half_written_folders(tmp_path: Path) -> None:
    root = _copy_fixture(tmp_path)
    results: list[dict[str, Path]] = []
    errors: list[BaseException] = []

    def load() -> None:
        try:
            results.append({t.id: t.root for t in load_polyglot(root)})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=load) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(results) == 6
    assert all(r == results[0] for r in results)
    cache = dgm_home() / "cache" / "polyglot"
    assert sorted(p.name for p in cache.iterdir()) == sorted(p.name for p in results[0].values())  # no .tmp-*
    for folder in results[0].values():
        assert (folder / "repo").is_dir() and (folder / "hidden").is_dir() and (folder / "solution.patch").is_file()


def test_leftovers_of_a_local_run_are_not_part_of_the_exercise(tmp_path: Path) -> None:
    root = _copy_fixture(tmp_path)
    js = root / "javascript" / "exercises" / "practice" / "title-words"
    (js / "node_modules" / "jest").mkdir(parents=True)
    (js / "node_modules" / "jest" / "index.js").write_text("// installed by hand\n")
    rust = root / "rust" / "exercises" / "practice" / "clamp-range"
    (rust / "target" / "debug").mkdir(parents=True)
    (rust / "target" / "debug" / "junk").write_text("build output\n")
    tasks = {t.id: t for t in load_polyglot(root)}
    assert not any("node_modules" in name for name in _files(tasks["javascript-title-words"].repo_dir))
    assert not any(name.startswith("target/") for name in _files(tasks["rust-clamp-range"].repo_dir))


def test_examples_that_match_no_single_solution_file_leave_the_task_without_a_reference(tmp_path: Path) -> None:
    root = _copy_fixture(tmp_path)
    folder = root / "python" / "exercises" / "practice" / "vowel-tally"
    config = json.loads((folder / ".meta" / "config.json").read_text())
    config["files"]["solution"] = ["vowel_tally.py", "helpers.py"]  # which one would example.py replace?
    (folder / ".meta" / "config.json").write_text(json.dumps(config))
    task = next(t for t in load_polyglot(root, ["python"]))
    assert task.solution_patch is None


# ---------------------------------------------------------------- errors: one clear line each

def test_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match="polyglot benchmark folder not found"):
        load_polyglot(tmp_path / "nope")


def test_a_folder_that_is_not_a_checkout_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "python" / "exercises").mkdir(parents=True)  # no practice/ below it
    with pytest.raises(TaskError, match="not a polyglot-benchmark checkout .*Aider-AI/polyglot-benchmark"):
        load_polyglot(tmp_path)


def test_an_unknown_language_is_a_clear_error() -> None:
    known = r"\(known: cpp, go, java, javascript, python, rust\)"
    with pytest.raises(TaskError, match=rf"unknown polyglot language 'kotlin' {known}"):
        load_polyglot(FIXTURE, ["python", "kotlin"])


def test_a_language_missing_from_the_checkout_is_a_clear_error(tmp_path: Path) -> None:
    root = _copy_fixture(tmp_path)
    shutil.rmtree(root / "java")
    with pytest.raises(TaskError, match="has no java/exercises/practice/ folder"):
        load_polyglot(root, ["java"])


@pytest.mark.parametrize("text, message", [
    ("{not json", "config.json: not valid JSON"),
    ('["a list"]', "missing the 'files' table"),
    ('{"files": {"solution": ["vowel_tally.py"], "test": []}}', "files.test is empty"),
    ('{"files": {"solution": "vowel_tally.py", "test": ["vowel_tally_test.py"]}}', "files.solution must be a list"),
    ('{"files": {"solution": ["vowel_tally.py"], "test": ["../../escape.py"]}}', "outside the exercise"),
    ('{"files": {"solution": ["vowel_tally.py"], "test": ["gone_test.py"]}}', "test file gone_test.py does not exist"),
])
def test_a_malformed_config_json_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    root = _copy_fixture(tmp_path)
    (root / "python" / "exercises" / "practice" / "vowel-tally" / ".meta" / "config.json").write_text(text)
    with pytest.raises(TaskError, match=message) as info:
        load_polyglot(root, ["python"])
    assert "\n" not in str(info.value)


def test_an_exercise_without_config_or_instructions_is_a_clear_error(tmp_path: Path) -> None:
    root = _copy_fixture(tmp_path)
    (root / "go" / "exercises" / "practice" / "digit-sum" / ".docs" / "instructions.md").unlink()
    with pytest.raises(TaskError, match="digit-sum: missing .docs/instructions.md"):
        load_polyglot(root, ["go"])
    (root / "go" / "exercises" / "practice" / "digit-sum" / ".meta" / "config.json").unlink()
    with pytest.raises(TaskError, match="digit-sum: not a polyglot exercise"):
        load_polyglot(root, ["go"])
