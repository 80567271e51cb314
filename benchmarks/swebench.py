"""SWE-bench: instances in the official format as `Task`s, and an adapter to the official harness.

An instance (one JSON object; docs/SWEBENCH.md) names a GitHub repository, the commit the agent starts
from (``base_commit``), the issue (``problem_statement``), the gold fix (``patch``), the tests that
decide it (``test_patch``, ``FAIL_TO_PASS``, ``PASS_TO_PASS``; the two lists may be JSON-encoded
strings, as in the published dataset) and the environment (``environment_setup_commit``, ``version``).
Each instance is materialised once into ``dgm_home()/cache/swebench/<instance id>-<hash>/`` holding

- ``repo/``: the tree at base_commit, without .git: what the agent sees and what patches apply to;
- ``hidden/``: every file the test_patch adds or changes, with its content after the test_patch:
  copied over the repository only when grading, so the agent never sees the new tests;
- ``tests.json``: the test files to run and the files the test_patch deletes (removed before the
  tests run); ``solution.patch``: the gold patch; ``instance.json``: the instance as given (the
  image builder and the official harness read it); ``source.json``: where its git repository is.

The light grader (benchmarks/grader.py) then runs pytest on the test_patch's files in the
instance's per-repository image (benchmarks/swebench_image.py), with no network. `grade_official`
instead hands predictions to the official `swebench` harness when it is installed.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from benchmarks.grader import GradeResult
from benchmarks.materialise import write_once
from benchmarks.protect import strip_protected
from benchmarks.swebench_image import (
    INSTANCE_FILE,
    SOURCE_FILE,
    VENV,
    ImageSpec,
    git_error_line,
)
from benchmarks.task import Task
from kernel.config import dgm_home
from kernel.errors import ConfigError, TaskError
from kernel.git import FOREIGN_REPO_ENV, git

# Bump when the materialised layout changes: old folders are then not found again (the folder name
# hashes this with the instance).
LAYOUT_VERSION = "1"
CLONE_URL = "https://github.com/{repo}.git"  # a module constant so tests can point it at a local path
TESTS_FILE = "tests.json"
PYTHON = f"{VENV}/bin/python"
REQUIRED = ("instance_id", "repo", "base_commit", "problem_statement", "test_patch", "FAIL_TO_PASS")
# Short names for the published datasets ("lite", "verified"); a name may end in ":split".
DATASET_ALIASES = {
    "lite": "SWE-bench/SWE-bench_Lite", "swe-bench_lite": "SWE-bench/SWE-bench_Lite",
    "swe-bench-lite": "SWE-bench/SWE-bench_Lite", "verified": "SWE-bench/SWE-bench_Verified",
    "swe-bench_verified": "SWE-bench/SWE-bench_Verified", "swe-bench": "SWE-bench/SWE-bench",
    "full": "SWE-bench/SWE-bench",
}
FILE_SUFFIXES = (".json", ".jsonl", ".ndjson")
# SWE-bench Verified's annotators' estimates; our own easy/medium/hard pass through.
DIFFICULTIES = {"<15 min fix": "easy", "15 min - 1 hour": "medium", "1-4 hours": "hard", ">4 hours": "hard",
                "easy": "easy", "medium": "medium", "hard": "hard"}
COMMIT = re.compile(r"^[0-9a-f]{7,40}$")
REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
# A test_patch file that pytest should run: Python, and not the runner's own configuration.
NOT_TEST_MODULES = {"conftest.py", "__init__.py", "setup.py"}


@dataclass(frozen=True)
class Instance:
    """One SWE-bench instance, validated. ``raw`` is the object as given (kept for the harness)."""

    id: str
    repo: str
    base_commit: str
    setup_commit: str
    problem: str
    gold_patch: str | None
    test_patch: str
    fail_to_pass: tuple[str, ...]
    pass_to_pass: tuple[str, ...]
    difficulty: str
    test_command: str | None
    raw: dict[str, Any]
    where: str  # "file.jsonl:3", for error messages

    @property
    def folder_name(self) -> str:
        canonical = json.dumps(self.raw, sort_keys=True, default=str)
        digest = hashlib.sha256(f"{LAYOUT_VERSION}\0{canonical}".encode()).hexdigest()[:16]
        return f"{re.sub(r'[^A-Za-z0-9._-]+', '_', self.id)[:80]}-{digest}"


# --- reading a dataset -------------------------------------------------------------------------

def read_dataset(dataset: str) -> list[tuple[str, dict[str, Any]]]:
    """(where, instance) pairs from a JSON/JSONL file, or from a dataset name through `datasets`."""
    path = Path(dataset).expanduser()
    if path.is_file():
        return _read_file(path)
    if path.exists():
        raise TaskError(f"dataset {path} is not a file (pass a JSON or JSONL file of instances)")
    if path.suffix in FILE_SUFFIXES or dataset.startswith((".", "/", "~")) or dataset.count("/") > 1:
        raise TaskError(f"dataset file not found: {path}")
    return _read_named(dataset)


def _read_file(path: Path) -> list[tuple[str, dict[str, Any]]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TaskError(f"cannot read dataset {path}: {exc}") from None
    if path.suffix != ".json":
        return _read_lines(path, text)
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        # A JSONL file named .json: read it line by line, so the bad line gets named.
        return _read_lines(path, text)
    rows = data if isinstance(data, list) else [data]
    if not all(isinstance(row, dict) for row in rows):
        raise TaskError(f"{path}: expected a JSON list of instance objects")
    return [(f"{path}[{i}]", row) for i, row in enumerate(rows)]


def _read_lines(path: Path, text: str) -> list[tuple[str, dict[str, Any]]]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TaskError(f"{path}:{number}: not valid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(row, dict):
            raise TaskError(f"{path}:{number}: expected one instance object per line")
        rows.append((f"{path}:{number}", row))
    if not rows:
        raise TaskError(f"dataset {path} holds no instances")
    return rows


def _read_named(dataset: str) -> list[tuple[str, dict[str, Any]]]:
    name, _, split = dataset.partition(":")
    name = DATASET_ALIASES.get(name.lower(), name)
    try:
        import datasets  # optional: only named datasets need it
    except ImportError:
        raise TaskError(f"'{dataset}' is not a file; loading a dataset by name needs the `datasets` package: "
                        "install `datasets` or pass a JSON/JSONL file") from None
    try:
        rows = datasets.load_dataset(name, split=split or "test")
    except Exception as exc:  # noqa: BLE001 - any hub/cache failure becomes one line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TaskError(f"cannot load dataset '{name}' (split {split or 'test'}): {first[:300]}") from None
    return [(f"{name}[{i}]", dict(row)) for i, row in enumerate(rows)]


# --- validating an instance --------------------------------------------------------------------

def _string(raw: dict[str, Any], key: str, where: str, required: bool = True) -> str | None:
    value = raw.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise TaskError(f"{where}: field '{key}' must be a non-empty string")
    return value


def _test_list(raw: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    """A list of test ids: a JSON list, or a string holding one (the published dataset's form)."""
    value = raw.get(key, [])
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except json.JSONDecodeError:
            raise TaskError(f"{where}: field '{key}' is a string but not a JSON list of test ids") from None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise TaskError(f"{where}: field '{key}' must be a list of test ids")
    return tuple(value)


def parse_instance(raw: dict[str, Any], where: str) -> Instance:
    """Validate one instance object; every problem is one line naming where it came from."""
    missing = [key for key in REQUIRED if key not in raw]
    if missing:
        ident = raw.get("instance_id")
        raise TaskError(f"{where}{f' ({ident})' if ident else ''}: missing field '{missing[0]}'")
    instance_id = str(_string(raw, "instance_id", where))
    where = f"{where} ({instance_id})"
    repo = str(_string(raw, "repo", where))
    if not REPO.match(repo):
        raise TaskError(f"{where}: field 'repo' must look like owner/name, not '{repo}'")
    commits = {}
    for key in ("base_commit", "environment_setup_commit"):
        value = _string(raw, key, where, required=key == "base_commit")
        if value is not None and not COMMIT.match(value.strip()):
            raise TaskError(f"{where}: field '{key}' must be a commit hash, not '{value}'")
        commits[key] = value.strip() if value else None
    fail_to_pass = _test_list(raw, "FAIL_TO_PASS", where)
    if not fail_to_pass:
        raise TaskError(f"{where}: FAIL_TO_PASS is empty, nothing would prove a fix")
    override = raw.get("test_cmd", raw.get("test_command"))
    if override is not None and (not isinstance(override, str) or not override.strip()):
        raise TaskError(f"{where}: field 'test_cmd' must be a shell command")
    gold = _string(raw, "patch", where, required=False)
    try:
        ImageSpec.from_instance(raw)  # the install fields: malformed ones fail now, not at build time
    except TaskError as exc:
        raise TaskError(f"{where}: {exc}") from None
    return Instance(
        id=instance_id, repo=repo, base_commit=str(commits["base_commit"]),
        setup_commit=commits["environment_setup_commit"] or str(commits["base_commit"]),
        problem=str(_string(raw, "problem_statement", where)), gold_patch=gold or None,
        test_patch=str(_string(raw, "test_patch", where)), fail_to_pass=fail_to_pass,
        pass_to_pass=_test_list(raw, "PASS_TO_PASS", where),
        difficulty=DIFFICULTIES.get(str(raw.get("difficulty", "medium")).strip().lower(), "medium"),
        test_command=override, raw=raw, where=where,
    )


# --- where the repositories come from ----------------------------------------------------------

def repos_cache() -> Path:
    return dgm_home() / "cache" / "swebench" / "repos"


def _git(git_dir: Path, *args: str, input: bytes | None = None, env: dict[str, str] | None = None) -> str:
    return git(*args, cwd=git_dir, env={"GIT_DIR": str(git_dir), **FOREIGN_REPO_ENV, **(env or {})}, input=input)


def _git_dir(path: Path) -> Path | None:
    """The git directory of a bare repository or a checkout at ``path``, or None."""
    if not path.is_dir():
        return None
    try:
        # The ceiling stops git from finding an enclosing repository when ``path`` is not one itself.
        out = git("rev-parse", "--absolute-git-dir", cwd=path,
                  env={**FOREIGN_REPO_ENV, "GIT_CEILING_DIRECTORIES": str(path.resolve().parent)})
    except RuntimeError:
        return None
    return Path(out.strip())


def missing_commits(git_dir: Path, commits: Sequence[str]) -> list[str]:
    """The commits of ``commits`` that ``git_dir`` does not hold (one git call for all of them)."""
    wanted = list(dict.fromkeys(commits))
    if not wanted:
        return []
    out = _git(git_dir, "cat-file", "--batch-check", input="".join(f"{c}^{{commit}}\n" for c in wanted).encode())
    return [commit for commit, line in zip(wanted, out.splitlines(), strict=False) if line.endswith(" missing")]


def repo_source(repo: str, repos_dir: Path | None = None, commits: Sequence[str] = (), clone: bool = True) -> Path | None:
    """The git directory that holds ``repo``: ``repos_dir/owner__name`` when there, else our own mirror
    under ``dgm_home()/cache/swebench/repos`` (cloned from GitHub when ``clone``; None without one).

    With ``commits``, each must be in it: a mirror is fetched once to find them; a user's repository
    is never touched, only reported.
    """
    slug = repo.replace("/", "__")
    if repos_dir is not None:
        for candidate in (Path(repos_dir).expanduser() / slug, Path(repos_dir).expanduser() / f"{slug}.git"):
            if (git_dir := _git_dir(candidate)) is not None:
                _require_commits(git_dir, commits, f"{candidate}; fetch them there (git -C {candidate} fetch --all)")
                return git_dir
    mirror = repos_cache() / f"{slug}.git"
    if not mirror.is_dir():
        if not clone:
            return None
        _clone(repo, mirror)
    if commits and missing_commits(mirror, commits):
        try:
            _git(mirror, "fetch", "--quiet", "--prune", "origin")
        except RuntimeError as exc:
            raise TaskError(f"cannot update {mirror} from {CLONE_URL.format(repo=repo)}: {git_error_line(exc)}") from None
    _require_commits(mirror, commits, f"{mirror} (nor upstream)")
    return mirror


def _require_commits(git_dir: Path, commits: Sequence[str], where: str) -> None:
    missing = missing_commits(git_dir, commits)
    if missing:
        raise TaskError(f"commit {missing[0]} is not in {where}")


def _clone(repo: str, mirror: Path) -> None:
    """A bare mirror, cloned into a temporary folder and renamed, so a cut-off clone leaves nothing."""
    url = CLONE_URL.format(repo=repo)
    mirror.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".clone-", dir=mirror.parent))
    try:
        git("clone", "--mirror", "--quiet", url, str(tmp / "repo.git"), cwd=mirror.parent, env=FOREIGN_REPO_ENV)
        try:
            os.rename(tmp / "repo.git", mirror)
        except OSError:
            if not mirror.is_dir():
                raise
    except RuntimeError as exc:
        raise TaskError(f"cannot clone {url} ({git_error_line(exc)}); put a clone in evaluation.repos_dir "
                        f"as {repo.replace('/', '__')}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --- materialising -----------------------------------------------------------------------------

def _materialise(inst: Instance, cache: Path, source: Path) -> Path:
    """The instance's cache folder, written once (see `write_once`)."""
    return write_once(cache / inst.folder_name, lambda tmp: _write_instance(inst, source, tmp))


def _write_instance(inst: Instance, source: Path, dest: Path) -> None:
    """repo/ at base_commit, hidden/ = what the test_patch adds or changes (after it), tests.json."""
    with tempfile.TemporaryDirectory(prefix="dgm-index-") as tmp:
        # A throwaway index over the user's repository: nothing in it (HEAD, index, work tree) changes.
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index"), "GIT_WORK_TREE": tmp}
        try:
            _git(source, "read-tree", inst.base_commit, env=env)
            _git(source, "checkout-index", "-a", "-f", f"--prefix={dest / 'repo'}/", env=env)
        except RuntimeError as exc:
            raise TaskError(f"{inst.where}: cannot check out base_commit {inst.base_commit[:12]}: "
                            f"{git_error_line(exc)}") from None
        try:
            _git(source, "apply", "--cached", "--whitespace=nowarn", "-", input=inst.test_patch.encode(), env=env)
        except RuntimeError as exc:
            raise TaskError(f"{inst.where}: test_patch does not apply at base_commit: {git_error_line(exc)}") from None
        status = _git(source, "diff-index", "--cached", "--no-renames", "--name-status", "-z", inst.base_commit, env=env)
        fields = status.split("\0")
        changes = [(fields[i], fields[i + 1]) for i in range(0, len(fields) - 1, 2)]
        kept = [path for kind, path in changes if kind != "D"]
        deleted = sorted(path for kind, path in changes if kind == "D")
        (dest / "hidden").mkdir()
        if kept:
            _git(source, "checkout-index", "-f", f"--prefix={dest / 'hidden'}/", "--", *kept, env=env)
    (dest / "repo").mkdir(exist_ok=True)
    run = sorted(p for p in kept if p.endswith(".py") and PurePosixPath(p).name not in NOT_TEST_MODULES)
    if not run and inst.test_command is None:
        raise TaskError(f"{inst.where}: test_patch changes no Python test file; give the instance a 'test_cmd'")
    (dest / TESTS_FILE).write_text(json.dumps({"run": run, "deleted": deleted}, indent=2) + "\n")
    (dest / INSTANCE_FILE).write_text(json.dumps(inst.raw, indent=2, default=str) + "\n", encoding="utf-8")
    (dest / "problem.md").write_text(inst.problem, encoding="utf-8")
    if inst.gold_patch:
        (dest / "solution.patch").write_text(inst.gold_patch, encoding="utf-8")


def _record_source(folder: Path, source: Path | None) -> None:
    """Note where the repository is, for the image builder (which needs environment_setup_commit).
    Not part of what is graded, so it may change between loads; replaced atomically."""
    if source is None:
        return
    target = folder / SOURCE_FILE
    text = json.dumps({"git_dir": str(source)}) + "\n"
    if target.is_file() and target.read_text() == text:
        return
    tmp = folder / f".{SOURCE_FILE}.{uuid.uuid4().hex[:8]}"
    tmp.write_text(text)
    os.replace(tmp, target)


def build_test_command(folder: Path, override: str | None) -> str:
    """The instance's command, or pytest on its test files (the grader removes what the test_patch
    deletes first: `Task.deleted`)."""
    tests = json.loads((folder / TESTS_FILE).read_text())
    return "exec 2>&1; " + (override or f"{PYTHON} -m pytest -rA {' '.join(shlex.quote(p) for p in tests['run'])}")


def _title(inst: Instance) -> str:
    first = next((line.strip() for line in inst.problem.splitlines() if line.strip()), "")
    return f"{inst.repo}: {first}"[:120]


def _task(inst: Instance, folder: Path) -> Task:
    return Task(
        id=inst.id,
        title=_title(inst),
        difficulty=inst.difficulty,
        kind="bug",
        problem=inst.problem,
        root=folder,
        test_command=build_test_command(folder, inst.test_command),
        fail_to_pass=inst.fail_to_pass,
        pass_to_pass=inst.pass_to_pass,
        repo_dir=folder / "repo",
        hidden_dir=folder / "hidden",
        solution_patch=inst.gold_patch,
        image=ImageSpec.from_instance(inst.raw).tag,
        runner="pytest",
        rule="listed",
        benchmark="swebench",
        language="python",
        deleted=tuple(json.loads((folder / TESTS_FILE).read_text())["deleted"]),
    )


def load_swebench(dataset: str, repos_dir: Path | None = None, only: list[str] | None = None) -> list[Task]:
    """The instances of ``dataset`` (a JSON/JSONL file or a dataset name) as tasks, in dataset order
    (or ``only``'s). Materialises what is not cached yet; builds no image (see `prepare_images`)."""
    instances = [parse_instance(raw, where) for where, raw in read_dataset(dataset)]
    by_id: dict[str, Instance] = {}
    for inst in instances:
        if inst.id in by_id:
            raise TaskError(f"{inst.where}: instance id also used at {by_id[inst.id].where}")
        by_id[inst.id] = inst
    if only:
        unknown = [i for i in only if i not in by_id]
        if unknown:
            raise TaskError(f"unknown task id(s) in {dataset}: {', '.join(unknown)}")
        instances = [by_id[i] for i in only]
    cache = dgm_home() / "cache" / "swebench"
    cache.mkdir(parents=True, exist_ok=True)
    pending = [inst for inst in instances if not (cache / inst.folder_name).is_dir()]
    sources: dict[str, Path | None] = {}
    for repo in dict.fromkeys(inst.repo for inst in pending):
        needed = [c for inst in pending if inst.repo == repo for c in (inst.base_commit, inst.setup_commit)]
        sources[repo] = repo_source(repo, repos_dir, needed)
    for repo in dict.fromkeys(inst.repo for inst in instances):
        if repo not in sources:  # all cached: only look where it already is, never clone
            sources[repo] = repo_source(repo, repos_dir, clone=False)
    with ThreadPoolExecutor(max_workers=max(1, min(4, len(pending)))) as pool:
        list(pool.map(lambda inst: _materialise(inst, cache, sources[inst.repo]), pending))  # type: ignore[arg-type]
    tasks = []
    for inst in instances:
        folder = cache / inst.folder_name
        _record_source(folder, sources[inst.repo])
        tasks.append(_task(inst, folder))
    if not tasks:
        raise TaskError(f"dataset {dataset} has no instances")
    return tasks


# --- the official harness ----------------------------------------------------------------------

MODEL_NAME = "dgm"
HARNESS_MODULE = "swebench.harness.run_evaluation"
HARNESS_SLACK_S = 900  # on top of the test time: the harness pulls or builds its images first


def official_grader_available(python: str = sys.executable) -> bool:
    """Whether ``python`` can import the official `swebench` package."""
    if python == sys.executable:
        import importlib.util

        return importlib.util.find_spec("swebench") is not None
    return subprocess.run([python, "-c", "import swebench"], capture_output=True, check=False).returncode == 0


def require_official_grader(python: str = sys.executable) -> None:
    """One clear line when evaluation.swebench_grader = "official" cannot work here."""
    if not official_grader_available(python):
        raise ConfigError("the official SWE-bench grader needs the `swebench` package, which is not installed "
                          f"for {python} (pip install swebench), or use the light grader (--swebench-grader light)")


def instance_of(task: Task) -> dict[str, Any]:
    """The instance object a task was loaded from."""
    return json.loads((task.root / INSTANCE_FILE).read_text(encoding="utf-8"))


def write_predictions(path: Path, patches: Mapping[str, str], model_name: str = MODEL_NAME) -> None:
    """The harness's predictions file: one {instance_id, model_name_or_path, model_patch} per line."""
    with path.open("w", encoding="utf-8") as out:
        for instance_id, patch in patches.items():
            out.write(json.dumps({"instance_id": instance_id, "model_name_or_path": model_name,
                                  "model_patch": patch}) + "\n")


def write_dataset(path: Path, tasks: Sequence[Task]) -> None:
    """The instances as given (JSONL), so the harness needs no dataset download."""
    with path.open("w", encoding="utf-8") as out:
        for task in tasks:
            out.write(json.dumps(instance_of(task), default=str) + "\n")


def official_command(python: str, dataset: Path, predictions: Path, run_id: str, instance_ids: Sequence[str],
                     max_workers: int, timeout_s: int, report_dir: Path) -> list[str]:
    return [python, "-m", HARNESS_MODULE, "--dataset_name", str(dataset), "--predictions_path", str(predictions),
            "--run_id", run_id, "--instance_ids", *instance_ids, "--max_workers", str(max_workers),
            "--timeout", str(timeout_s), "--report_dir", str(report_dir)]


def report_dir_of(work_dir: Path, run_id: str, instance_id: str, model_name: str = MODEL_NAME) -> Path:
    """Where the harness writes one instance's logs: logs/run_evaluation/<run>/<model>/<id>/ under its cwd."""
    return work_dir / "logs" / "run_evaluation" / run_id / model_name.replace("/", "__") / instance_id


def parse_official_report(task: Task, report: dict[str, Any], output: str = "") -> GradeResult:
    """Our GradeResult from the harness's per-instance report.json ({id: {resolved, tests_status}})."""
    entry = report.get(task.id)
    if not isinstance(entry, dict):
        return GradeResult(resolved=False, output=output, error=f"the official report has no entry for {task.id}")
    tests: dict[str, str] = {}
    status = entry.get("tests_status") or {}
    for group in ("FAIL_TO_PASS", "PASS_TO_PASS"):
        for outcome, names in (("PASSED", status.get(group, {}).get("success", [])),
                               ("FAILED", status.get(group, {}).get("failure", []))):
            tests.update({name: outcome for name in names})
    for node in (*task.fail_to_pass, *task.pass_to_pass):
        tests.setdefault(node, "MISSING")
    error = None
    if entry.get("patch_is_None") or not entry.get("patch_exists", True):
        error = "no patch"
    elif not entry.get("patch_successfully_applied", False):
        error = entry.get("infra_failure_reason") or "patch does not apply (or no test output)"
    return GradeResult(resolved=bool(entry.get("resolved")) and error is None, tests=tests, output=output, error=error)


def _run_harness(command: list[str], cwd: Path, timeout_s: float) -> tuple[int | None, str]:
    """Run the harness in its own process group; at the deadline the whole group is killed."""
    log_path = cwd / "harness.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            code: int | None = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            code = None
        except BaseException:
            os.killpg(proc.pid, signal.SIGKILL)  # Ctrl-C: never leave the harness running behind us
            proc.wait()
            raise
    return code, log_path.read_text(encoding="utf-8", errors="replace")


def grade_official(
    tasks: Task | Sequence[Task],
    patches: str | Mapping[str, str],
    *,
    max_workers: int = 4,
    timeout_s: int = 1800,
    run_id: str | None = None,
    work_dir: Path | None = None,
    python: str = sys.executable,
    model_name: str = MODEL_NAME,
) -> dict[str, GradeResult]:
    """Grade patches (one per task id; a single str for a single task) with the official harness.

    Writes the instances and predictions as JSONL into ``work_dir`` (default
    ``dgm_home()/swebench-official/<run_id>``), runs ``python -m swebench.harness.run_evaluation``
    there, and reads each instance's report.json. Empty patches are not sent: the harness skips them.
    """
    require_official_grader(python)
    task_list = [tasks] if isinstance(tasks, Task) else list(tasks)
    raw = {t.id: patches for t in task_list} if isinstance(patches, str) else dict(patches)
    # The harness runs the repository's own test command in its own container; what a patch may
    # not change (tests, runner configuration, plugins, links) is stripped first, as for our grader.
    cleaned = {t.id: strip_protected(raw.get(t.id, ""), t) for t in task_list}
    by_id = {task_id: clean for task_id, (clean, _) in cleaned.items()}
    run_id = run_id or f"dgm-{uuid.uuid4().hex[:10]}"
    work = Path(work_dir) if work_dir else dgm_home() / "swebench-official" / run_id
    work.mkdir(parents=True, exist_ok=True)
    results = {t.id: GradeResult(resolved=False, error="empty patch (the official harness does not run it)",
                                 tests={n: "MISSING" for n in (*t.fail_to_pass, *t.pass_to_pass)})
               for t in task_list if not by_id.get(t.id, "").strip()}
    graded = [t for t in task_list if t.id not in results]
    if not graded:
        return results
    write_dataset(work / "dataset.jsonl", graded)
    write_predictions(work / "predictions.jsonl", {t.id: by_id[t.id] for t in graded}, model_name)
    command = official_command(python, work / "dataset.jsonl", work / "predictions.jsonl", run_id,
                               [t.id for t in graded], max_workers, timeout_s, work)
    rounds = math.ceil(len(graded) / max(1, max_workers))
    code, harness_output = _run_harness(command, work, timeout_s * rounds + HARNESS_SLACK_S)
    for task in graded:
        results[task.id] = _read_result(task, report_dir_of(work, run_id, task.id, model_name), code, harness_output)
    for task_id, (_, stripped) in cleaned.items():
        results[task_id].stripped_paths = stripped
    return results


def _read_result(task: Task, folder: Path, code: int | None, harness_output: str) -> GradeResult:
    test_output = folder / "test_output.txt"
    output = test_output.read_text(encoding="utf-8", errors="replace")[-2_000_000:] if test_output.is_file() else ""
    try:
        report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        why = "timed out" if code is None else f"exited {code}"
        tail = " | ".join(harness_output.strip().splitlines()[-3:])[:500]
        return GradeResult(resolved=False, output=output or harness_output[-20_000:], exit_code=code,
                           error=f"the official harness {why} without a report for {task.id}: {tail}",
                           tests={n: "MISSING" for n in (*task.fail_to_pass, *task.pass_to_pass)})
    result = parse_official_report(task, report, output)
    result.exit_code = code
    return result


def grade_official_one(task: Task, patch: str, **options: Any) -> GradeResult:
    """`grade_official` for one task (one harness run: prefer batching many tasks at once)."""
    return grade_official(task, patch, **options)[task.id]
