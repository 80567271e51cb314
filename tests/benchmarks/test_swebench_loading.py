"""Loading SWE-bench instances (official format) from a git repository made here, and the official
harness adapter's files and reports. No Docker, no network: the repository is created in tmp_path,
and a stand-in for `python -m swebench.harness.run_evaluation` takes the harness's real flags."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from benchmarks import swebench
from benchmarks.swebench import (
    grade_official,
    grade_official_one,
    load_swebench,
    official_command,
    parse_official_report,
    require_official_grader,
    write_predictions,
)
from benchmarks.swebench_image import ImageSpec, image_repository, spec_for_task
from benchmarks.task import Task
from dgm.config import dgm_home
from dgm.errors import ConfigError, DgmError, TaskError
from kernel.git import GIT_ENV

REPO = "dgmtest/calc"

SETUP_FILES = {
    "pyproject.toml": """\
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "calc"
        version = "0.1.0"

        [tool.setuptools]
        packages = ["calc"]
        """,
    "README.md": "calc: tiny arithmetic\n",
    "calc/__init__.py": "from calc.ops import add, sub\n",
    "calc/ops.py": """\
        def add(a, b):
            return a - b


        def sub(a, b):
            return a - b
        """,
    "tests/test_ops.py": """\
        from calc import sub


        def test_sub():
            assert sub(5, 3) == 2
        """,
    "tests/test_legacy.py": """\
        def test_old_behaviour():
            assert True
        """,
}
# The base commit changes the library after the environment setup commit, like a real history.
BASE_FILES = {"README.md": "calc: tiny arithmetic, now with documentation\n"}
GOLD_FILES = {"calc/ops.py": SETUP_FILES["calc/ops.py"].replace("return a - b\n\n\n", "return a + b\n\n\n", 1)}
TEST_FILES = {
    "tests/test_ops.py": SETUP_FILES["tests/test_ops.py"].replace("from calc import sub", "from calc import add, sub") + """
        def test_add():
            assert add(2, 3) == 5
        """,
    # Proves the grading container: no network, only loopback, the image's venv with the package
    # installed editable and the instance's pinned pip package.
    "tests/test_isolation.py": """\
        import importlib.metadata
        import os
        import socket
        import sys


        def test_no_network():
            try:
                socket.create_connection(("pypi.org", 443), timeout=5).close()
            except OSError:
                return
            raise AssertionError("the grading container reached pypi.org")


        def test_only_loopback():
            assert sorted(os.listdir("/sys/class/net")) == ["lo"]


        def test_runs_in_the_venv_with_the_package_installed():
            assert sys.prefix == "/opt/dgm-venv"
            assert importlib.metadata.version("calc") == "0.1.0"
            assert importlib.metadata.version("tomli_w") == "1.2.0"
        """,
    "tests/data/cases.txt": "2 3 5\n",
}
DELETED_BY_TEST_PATCH = ["tests/test_legacy.py"]
FAIL_TO_PASS = ["tests/test_ops.py::test_add"]
PASS_TO_PASS = [
    "tests/test_ops.py::test_sub",
    "tests/test_isolation.py::test_no_network",
    "tests/test_isolation.py::test_only_loopback",
    "tests/test_isolation.py::test_runs_in_the_venv_with_the_package_installed",
]
# Fixed dates make the commits (and so the image tags) the same in every run.
DATES = {"GIT_AUTHOR_DATE": "2024-01-01T00:00:00+0000", "GIT_COMMITTER_DATE": "2024-01-01T00:00:00+0000"}


def _git(repo: Path, *args: str, input: str | None = None) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, env={**GIT_ENV, **DATES}, input=input, capture_output=True,
                          text=True, check=True)
    return proc.stdout


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def _diff(repo: Path, files: dict[str, str], deleted: list[str] = ()) -> str:  # type: ignore[assignment]
    """The diff that writes ``files`` and deletes ``deleted`` on top of HEAD; the tree is reset after."""
    _write(repo, files)
    for name in deleted:
        (repo / name).unlink()
    _git(repo, "add", "-A")
    patch = _git(repo, "diff", "--cached", "--no-renames")
    _git(repo, "reset", "-q", "--hard", "HEAD")
    return patch


@dataclass
class Fixture:
    upstream: Path  # a checkout (not bare): the loader must cope with both
    repos_dir: Path
    setup_commit: str
    base_commit: str
    gold_patch: str
    test_patch: str


def make_repo(root: Path, repo: str = REPO) -> Fixture:
    """A git repository with two commits (environment setup, then base) and the instance's patches."""
    repos_dir = root / "repos"
    upstream = repos_dir / repo.replace("/", "__")
    upstream.mkdir(parents=True)
    _git(upstream, "init", "-q", "-b", "main")
    _write(upstream, SETUP_FILES)
    _git(upstream, "add", "-A")
    _git(upstream, "commit", "-q", "-m", "setup")
    setup = _git(upstream, "rev-parse", "HEAD").strip()
    _write(upstream, BASE_FILES)
    _git(upstream, "commit", "-q", "-am", "base")
    base = _git(upstream, "rev-parse", "HEAD").strip()
    gold = _diff(upstream, GOLD_FILES)
    tests = _diff(upstream, TEST_FILES, DELETED_BY_TEST_PATCH)
    return Fixture(upstream, repos_dir, setup, base, gold, tests)


def instance(fx: Fixture, instance_id: str = "dgmtest__calc-1", **extra: Any) -> dict[str, Any]:
    """An instance in the published dataset's form: the test lists are JSON strings."""
    return {
        "repo": REPO,
        "instance_id": instance_id,
        "base_commit": fx.base_commit,
        "patch": fx.gold_patch,
        "test_patch": fx.test_patch,
        "problem_statement": "add() subtracts\n\n`calc.add(2, 3)` returns -1 instead of 5.\n",
        "hints_text": "look at calc/ops.py",
        "created_at": "2024-01-02T00:00:00Z",
        "version": "0.1",
        "FAIL_TO_PASS": json.dumps(FAIL_TO_PASS),
        "PASS_TO_PASS": json.dumps(PASS_TO_PASS),
        "environment_setup_commit": fx.setup_commit,
        "pip_packages": ["tomli-w==1.2.0"],
        **extra,
    }


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _files(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture()
def fx(tmp_path: Path) -> Fixture:
    return make_repo(tmp_path)


@pytest.fixture()
def dataset(tmp_path: Path, fx: Fixture) -> Path:
    second = instance(fx, "dgmtest__calc-2", FAIL_TO_PASS=FAIL_TO_PASS, PASS_TO_PASS=[], pip_packages=None,
                      test_cmd="python3 -m pytest tests/test_ops.py", difficulty="<15 min fix")
    return write_jsonl(tmp_path / "lite.jsonl", [instance(fx, difficulty="15 min - 1 hour"), second])


def test_instances_become_tasks(dataset: Path, fx: Fixture) -> None:
    first, second = load_swebench(str(dataset), repos_dir=fx.repos_dir)
    assert first.id == "dgmtest__calc-1" and second.id == "dgmtest__calc-2"
    assert first.benchmark == "swebench" and first.rule == "listed" and first.runner == "pytest"
    assert first.kind == "bug" and first.language == "python"
    assert first.fail_to_pass == tuple(FAIL_TO_PASS) and first.pass_to_pass == tuple(PASS_TO_PASS)
    assert second.pass_to_pass == ()  # plain lists are accepted as well as JSON strings
    assert (first.difficulty, second.difficulty) == ("medium", "easy")
    assert first.problem.startswith("add() subtracts") and first.title == f"{REPO}: add() subtracts"
    assert first.solution_patch == fx.gold_patch
    assert "look at calc/ops.py" not in first.problem  # hints are not the issue
    # Same repository, setup commit and install recipe -> same image; different pins -> another.
    assert first.image is not None and first.image.startswith("dgm-swebench-dgmtest__calc:")
    assert second.image is not None and second.image != first.image
    assert first.image == ImageSpec(REPO, fx.setup_commit, pip_packages=("tomli-w==1.2.0",)).tag


def test_repo_is_the_base_commit_and_hidden_holds_the_test_patch_result(dataset: Path, fx: Fixture) -> None:
    task, _ = load_swebench(str(dataset), repos_dir=fx.repos_dir)
    base_files = set(_git(fx.upstream, "ls-tree", "-r", "--name-only", fx.base_commit).split())
    assert set(_files(task.repo_dir)) == base_files  # exactly the tree: no .git, nothing extra
    for name in base_files:
        assert (task.repo_dir / name).read_text() == _git(fx.upstream, "show", f"{fx.base_commit}:{name}")
    # hidden/ = what the test_patch adds or changes, as it is after the test_patch
    assert _files(task.hidden_dir) == {name: textwrap.dedent(text) for name, text in TEST_FILES.items()}
    # ... and none of it leaks into repo/: the old test file is the base version, new ones are absent
    assert "test_add" not in (task.repo_dir / "tests/test_ops.py").read_text()
    assert not (task.repo_dir / "tests/test_isolation.py").exists()
    assert (task.repo_dir / "tests/test_legacy.py").is_file()  # deleted only when the tests run
    # The gold patch applies to the snapshot: it is the tree the patches were made against.
    check = subprocess.run(["git", "apply", "--check", "-"], cwd=task.repo_dir, input=fx.gold_patch, text=True, check=False,
                           capture_output=True)
    assert check.returncode == 0, check.stderr


def test_test_command_runs_the_test_patch_files_and_removes_deleted_ones(dataset: Path, fx: Fixture) -> None:
    first, second = load_swebench(str(dataset), repos_dir=fx.repos_dir)
    assert first.test_command == "exec 2>&1; /opt/dgm-venv/bin/python -m pytest -rA tests/test_isolation.py tests/test_ops.py"
    assert second.test_command.endswith("; python3 -m pytest tests/test_ops.py")  # the instance's test_cmd
    # The grader removes what the test_patch deletes before any test runs (the tree is read-only then).
    assert first.deleted == second.deleted == ("tests/test_legacy.py",)


def test_loading_leaves_the_users_repository_alone(dataset: Path, fx: Fixture) -> None:
    head = _git(fx.upstream, "rev-parse", "HEAD")
    load_swebench(str(dataset), repos_dir=fx.repos_dir)
    assert _git(fx.upstream, "rev-parse", "HEAD") == head
    assert _git(fx.upstream, "status", "--porcelain") == ""


def test_a_second_load_reuses_the_materialised_folders(dataset: Path, fx: Fixture, tmp_path: Path) -> None:
    first = load_swebench(str(dataset), repos_dir=fx.repos_dir)
    assert all(t.root.parent == dgm_home() / "cache" / "swebench" for t in first)
    stamps = {t.id: (t.root / "tests.json").stat().st_mtime_ns for t in first}
    fx.repos_dir.rename(tmp_path / "gone")  # no git repository at all: only the cache can answer
    again = load_swebench(str(dataset), repos_dir=fx.repos_dir)
    assert [t.root for t in again] == [t.root for t in first]
    assert {t.id: (t.root / "tests.json").stat().st_mtime_ns for t in again} == stamps
    assert [t.content_hash() for t in again] == [t.content_hash() for t in first]
    assert not list((dgm_home() / "cache" / "swebench").glob(".tmp-*"))


def test_only_selects_and_orders_instances(dataset: Path, fx: Fixture) -> None:
    tasks = load_swebench(str(dataset), repos_dir=fx.repos_dir, only=["dgmtest__calc-2"])
    assert [t.id for t in tasks] == ["dgmtest__calc-2"]
    # Only the selected instance was materialised.
    assert len([p for p in (dgm_home() / "cache" / "swebench").iterdir() if p.name.startswith("dgmtest")]) == 1
    with pytest.raises(TaskError, match="unknown task id.*nope"):
        load_swebench(str(dataset), repos_dir=fx.repos_dir, only=["nope"])


def test_a_json_array_file_loads_too(tmp_path: Path, fx: Fixture) -> None:
    path = tmp_path / "lite.json"
    path.write_text(json.dumps([instance(fx)]))
    (task,) = load_swebench(str(path), repos_dir=fx.repos_dir)
    assert task.fail_to_pass == tuple(FAIL_TO_PASS)


def test_the_image_builder_reads_the_setup_commit_and_source(dataset: Path, fx: Fixture) -> None:
    task, _ = load_swebench(str(dataset), repos_dir=fx.repos_dir)
    spec = spec_for_task(task)
    assert spec.commit == fx.setup_commit  # not base_commit: the environment's own commit
    assert spec.source == (fx.upstream / ".git").resolve()
    assert spec.pip_packages == ("tomli-w==1.2.0",) and spec.tag == task.image


def test_image_repository_names_are_valid_docker_names() -> None:
    assert image_repository("pytest-dev/pytest") == "dgm-swebench-pytest-dev__pytest"
    assert image_repository("Some_Org/Weird..Name") == "dgm-swebench-some-org__weird-name"


def test_without_repos_dir_the_repository_is_cloned_into_the_cache(tmp_path: Path, fx: Fixture,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(swebench, "CLONE_URL", f"file://{fx.repos_dir}/{{repo}}")
    # The URL template gives repos/dgmtest/calc: lay the upstream out that way.
    (fx.repos_dir / "dgmtest").mkdir()
    fx.upstream.rename(fx.repos_dir / "dgmtest" / "calc")
    upstream = fx.repos_dir / "dgmtest" / "calc"
    (task,) = load_swebench(str(write_jsonl(tmp_path / "d.jsonl", [instance(fx)])))
    mirror = dgm_home() / "cache" / "swebench" / "repos" / "dgmtest__calc.git"
    assert (mirror / "HEAD").is_file() and not (mirror / ".git").exists()  # a bare mirror
    assert spec_for_task(task).source == mirror.resolve()
    # A commit the mirror lacks makes it fetch once, then load.
    _write(upstream, {"README.md": "newer\n"})
    _git(upstream, "commit", "-q", "-am", "newer")
    newer = _git(upstream, "rev-parse", "HEAD").strip()
    row = instance(fx, "dgmtest__calc-3", base_commit=newer, patch="", test_patch=_diff(upstream, TEST_FILES))
    (task3,) = load_swebench(str(write_jsonl(tmp_path / "d3.jsonl", [row])))
    assert (task3.repo_dir / "README.md").read_text() == "newer\n" and task3.solution_patch is None


def test_a_clone_that_fails_is_one_line(tmp_path: Path, fx: Fixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(swebench, "CLONE_URL", f"file://{tmp_path}/nowhere/{{repo}}")
    with pytest.raises(TaskError, match=r"cannot clone .*put a clone in evaluation.repos_dir as dgmtest__calc") as err:
        load_swebench(str(write_jsonl(tmp_path / "d.jsonl", [instance(fx)])))
    assert "\n" not in str(err.value)
    assert not list((dgm_home() / "cache" / "swebench" / "repos").iterdir())  # no half clone left


def test_a_plain_folder_inside_another_repository_is_not_taken_for_the_repo(tmp_path: Path, fx: Fixture,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # repos_dir is itself a git checkout and holds a plain folder with the expected name: git would
    # happily answer for the enclosing repository, which has none of the instance's commits.
    outer = tmp_path / "outer"
    (outer / "dgmtest__calc").mkdir(parents=True)
    _git(outer, "init", "-q")
    monkeypatch.setattr(swebench, "CLONE_URL", f"file://{tmp_path}/nowhere/{{repo}}")
    with pytest.raises(TaskError, match="cannot clone"):
        load_swebench(str(write_jsonl(tmp_path / "d.jsonl", [instance(fx)])), repos_dir=outer)


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda row: row.pop("base_commit"), r"d\.jsonl:1 \(dgmtest__calc-1\): missing field 'base_commit'"),
    (lambda row: row.update(FAIL_TO_PASS="[not json"), r"'FAIL_TO_PASS' is a string but not a JSON list"),
    (lambda row: row.update(FAIL_TO_PASS="[]"), r"FAIL_TO_PASS is empty"),
    (lambda row: row.update(repo="no-slash"), r"'repo' must look like owner/name"),
    (lambda row: row.update(base_commit="not-a-sha"), r"'base_commit' must be a commit hash"),
    (lambda row: row.update(base_commit="0" * 40), r"commit 0{40} is not in .*dgmtest__calc"),
    (lambda row: row.update(environment_setup_commit="1" * 40), r"commit 1{40} is not in"),
    (lambda row: row.update(test_patch="diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"),
     r"test_patch does not apply at base_commit"),
    (lambda row: row.update(pip_packages=3), r"field 'pip_packages' must be a string or a list"),
])
def test_malformed_instances_are_one_line_errors(tmp_path: Path, fx: Fixture, mutate: Any, message: str) -> None:
    row = instance(fx)
    mutate(row)
    with pytest.raises(TaskError, match=message) as err:
        load_swebench(str(write_jsonl(tmp_path / "d.jsonl", [row])), repos_dir=fx.repos_dir)
    assert "\n" not in str(err.value)


def test_a_bad_line_is_named(tmp_path: Path, fx: Fixture) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(instance(fx)) + "\n{oops\n")
    with pytest.raises(TaskError, match=r"d\.jsonl:2: not valid JSON"):
        load_swebench(str(path), repos_dir=fx.repos_dir)


def test_duplicate_ids_are_refused(tmp_path: Path, fx: Fixture) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [instance(fx), instance(fx)])
    with pytest.raises(TaskError, match=r"d\.jsonl:2 \(dgmtest__calc-1\): instance id also used at .*d\.jsonl:1"):
        load_swebench(str(path), repos_dir=fx.repos_dir)


def test_a_missing_file_is_not_mistaken_for_a_dataset_name(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match="dataset file not found: .*missing.jsonl"):
        load_swebench(str(tmp_path / "missing.jsonl"))


def test_a_dataset_name_without_the_datasets_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "datasets", None)  # makes `import datasets` fail, installed or not
    with pytest.raises(TaskError, match=r"install `datasets` or pass a JSON/JSONL file") as err:
        load_swebench("princeton-nlp/SWE-bench_Lite")
    assert "\n" not in str(err.value)


# --- the official harness ----------------------------------------------------------------------

def _report(task: Task, resolved: bool, applied: bool = True) -> dict[str, Any]:
    """A per-instance report.json as swebench.harness.grading.get_eval_report writes it. Unresolved:
    the fail-to-pass test fails and so does the first pass-to-pass test."""
    body: dict[str, Any] = {"patch_is_None": False, "patch_exists": True, "patch_successfully_applied": applied,
                            "resolved": resolved and applied, "infra_failure": False}
    if applied:
        broken = [] if resolved else [FAIL_TO_PASS[0], PASS_TO_PASS[0]]
        body["tests_status"] = {
            "FAIL_TO_PASS": {"success": [t for t in FAIL_TO_PASS if t not in broken],
                             "failure": [t for t in FAIL_TO_PASS if t in broken]},
            "PASS_TO_PASS": {"success": [t for t in PASS_TO_PASS if t not in broken],
                             "failure": [t for t in PASS_TO_PASS if t in broken]},
            "FAIL_TO_FAIL": {"success": [], "failure": []},
            "PASS_TO_FAIL": {"success": [], "failure": []},
        }
    return {task.id: body}


def test_reports_become_grade_results(dataset: Path, fx: Fixture) -> None:
    task, _ = load_swebench(str(dataset), repos_dir=fx.repos_dir)
    good = parse_official_report(task, _report(task, resolved=True))
    assert good.resolved and good.error is None
    assert set(good.tests.values()) == {"PASSED"} and set(good.tests) == {*FAIL_TO_PASS, *PASS_TO_PASS}
    bad = parse_official_report(task, _report(task, resolved=False))
    assert not bad.resolved and bad.tests[FAIL_TO_PASS[0]] == "FAILED"
    assert bad.tests[PASS_TO_PASS[0]] == "FAILED" and bad.tests[PASS_TO_PASS[1]] == "PASSED"
    unapplied = parse_official_report(task, _report(task, resolved=False, applied=False))
    assert not unapplied.resolved and "does not apply" in (unapplied.error or "")
    assert set(unapplied.tests.values()) == {"MISSING"}
    other = parse_official_report(task, {"someone-else": {}})
    assert not other.resolved and "no entry" in (other.error or "")


def test_predictions_file_has_the_harness_fields(tmp_path: Path) -> None:
    path = tmp_path / "preds.jsonl"
    write_predictions(path, {"a__b-1": "diff --git a/x b/x\n", "a__b-2": ""}, model_name="dgm/agent-7")
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert rows == [{"instance_id": "a__b-1", "model_name_or_path": "dgm/agent-7", "model_patch": "diff --git a/x b/x\n"},
                    {"instance_id": "a__b-2", "model_name_or_path": "dgm/agent-7", "model_patch": ""}]


# The stand-in for `python -m swebench.harness.run_evaluation`: it parses the real harness's flags
# (swebench 5.x `--help`), checks the files it is given and writes what the harness writes.
FAKE_HARNESS = """\
import argparse, json, sys
from pathlib import Path

if sys.argv[1:3] == ["-c", "import swebench"]:
    sys.exit(0)
assert sys.argv[1:3] == ["-m", "swebench.harness.run_evaluation"], sys.argv
p = argparse.ArgumentParser()
p.add_argument("-d", "--dataset_name")
p.add_argument("-s", "--split", default="test")
p.add_argument("-i", "--instance_ids", nargs="+")
p.add_argument("-p", "--predictions_path", required=True)
p.add_argument("--max_workers", type=int, default=4)
p.add_argument("-t", "--timeout", type=int, default=1800)
p.add_argument("-id", "--run_id", required=True)
p.add_argument("--report_dir", default=".")
a = p.parse_args(sys.argv[3:])
dataset = {row["instance_id"]: row for row in map(json.loads, Path(a.dataset_name).read_text().splitlines())}
for line in Path(a.predictions_path).read_text().splitlines():
    pred = json.loads(line)
    iid = pred["instance_id"]
    assert iid in a.instance_ids and pred["model_patch"], pred
    inst = dataset[iid]
    f2p, p2p = json.loads(inst["FAIL_TO_PASS"]), json.loads(inst["PASS_TO_PASS"])
    applied = pred["model_patch"].startswith("diff --git")
    resolved = applied and pred["model_patch"] == inst["patch"]
    out = Path("logs/run_evaluation") / a.run_id / pred["model_name_or_path"].replace("/", "__") / iid
    out.mkdir(parents=True)
    (out / "test_output.txt").write_text("PASSED " + f2p[0] + "\\n" if resolved else "FAILED " + f2p[0] + "\\n")
    body = {"patch_is_None": False, "patch_exists": True, "patch_successfully_applied": applied,
            "resolved": resolved}
    if applied:
        body["tests_status"] = {"FAIL_TO_PASS": {"success": f2p if resolved else [], "failure": [] if resolved else f2p},
                                "PASS_TO_PASS": {"success": p2p, "failure": []}}
    (out / "report.json").write_text(json.dumps({iid: body}, indent=4))
print("Instances resolved: ...")
"""


def _fake_python(tmp_path: Path) -> str:
    path = tmp_path / "fake-python"
    path.write_text(f"#!{sys.executable}\n" + FAKE_HARNESS)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_grade_official_runs_the_harness_and_reads_its_reports(tmp_path: Path, fx: Fixture) -> None:
    rows = [instance(fx, f"dgmtest__calc-{i}") for i in (1, 2, 3, 4)]
    tasks = load_swebench(str(write_jsonl(tmp_path / "d.jsonl", rows)), repos_dir=fx.repos_dir)
    conftest = ("diff --git a/conftest.py b/conftest.py\nnew file mode 100644\n--- /dev/null\n+++ b/conftest.py\n"
                "@@ -0,0 +1 @@\n+x = 1\n")
    patches = {"dgmtest__calc-1": fx.gold_patch + conftest, "dgmtest__calc-2": "diff --git a/calc/ops.py b/calc/ops.py\n",
               "dgmtest__calc-3": "", "dgmtest__calc-4": "garbage"}
    work = tmp_path / "official"
    results = grade_official(tasks, patches, python=_fake_python(tmp_path), work_dir=work, run_id="r1", max_workers=2)
    assert results["dgmtest__calc-1"].resolved and results["dgmtest__calc-1"].exit_code == 0
    assert results["dgmtest__calc-1"].stripped_paths == ["conftest.py"]  # never reached the harness
    assert results["dgmtest__calc-1"].output.startswith("PASSED tests/test_ops.py::test_add")
    assert not results["dgmtest__calc-2"].resolved and results["dgmtest__calc-2"].tests[FAIL_TO_PASS[0]] == "FAILED"
    assert "empty patch" in (results["dgmtest__calc-3"].error or "")
    assert "does not apply" in (results["dgmtest__calc-4"].error or "")
    # The empty patch never reached the harness; the dataset it got is the instances as given.
    sent = [json.loads(line)["instance_id"] for line in (work / "predictions.jsonl").read_text().splitlines()]
    assert sent == ["dgmtest__calc-1", "dgmtest__calc-2", "dgmtest__calc-4"]
    given = [json.loads(line) for line in (work / "dataset.jsonl").read_text().splitlines()]
    assert given[0] == rows[0]
    one = grade_official_one(tasks[0], fx.gold_patch, python=_fake_python(tmp_path), work_dir=tmp_path / "o2")
    assert one.resolved


def test_official_command_uses_the_harness_flags(tmp_path: Path) -> None:
    cmd = official_command("py", tmp_path / "d.jsonl", tmp_path / "p.jsonl", "run-1", ["a", "b"], 3, 600, tmp_path)
    assert cmd[:3] == ["py", "-m", "swebench.harness.run_evaluation"]
    assert cmd[cmd.index("--instance_ids") + 1:cmd.index("--instance_ids") + 3] == ["a", "b"]
    assert {"--dataset_name", "--predictions_path", "--run_id", "--max_workers", "--timeout", "--report_dir"} <= set(cmd)


def test_choosing_the_official_grader_without_the_package_is_one_line(dataset: Path, fx: Fixture, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "swebench", None)  # as if not installed, whatever this machine has
    with pytest.raises(ConfigError, match=r"needs the `swebench` package.*pip install swebench") as err:
        require_official_grader()
    assert "\n" not in str(err.value) and isinstance(err.value, DgmError)
    task, _ = load_swebench(str(dataset), repos_dir=fx.repos_dir)
    with pytest.raises(ConfigError, match="needs the `swebench` package"):
        grade_official([task], {task.id: fx.gold_patch}, work_dir=tmp_path / "w")
    assert not (tmp_path / "w").exists()  # refused before anything was written
