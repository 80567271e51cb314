"""Aider's Polyglot benchmark: a local checkout of Aider-AI/polyglot-benchmark as `Task`s.

A checkout holds `<language>/exercises/practice/<slug>/` folders (Exercism's layout): the solution
stubs, the tests, `.docs/` (the problem statement) and `.meta/config.json`, which names the solution,
test and example files. Each exercise is materialised once into a cache folder,
``dgm_home()/cache/polyglot/<content hash>/`` holding

- ``repo/``: what the agent sees: the exercise without `.meta/` (which holds the example solution)
  and without its test files;
- ``hidden/``: the test files, copied over the repository only when grading;
- ``solution.patch``: the example solution as a diff against ``repo/`` (absent when the example
  files cannot be matched to the solution files; `dgm bench check` then reports the task broken).

Every exercise is graded by its language's own test runner in the polyglot image
(`sandbox.image.POLYGLOT`), with no network; resolved means the test command exits 0 and no test
fails (rule "all"). docs/POLYGLOT.md explains each language's command and how it differs from
Aider's harness.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from benchmarks.materialise import write_once
from benchmarks.task import Task
from kernel.config import dgm_home
from kernel.errors import TaskError
from kernel.patches import diff_trees
from sandbox.image import (
    ASSERTJ_JAR,
    CARGO_ENV,
    CARGO_SOURCE,
    GO_ENV,
    GO_WARM_CACHE,
    JAVA_CDS_DIR,
    JS_TOOLS_DIR,
    JUNIT_JAR,
    POLYGLOT,
    RUST_WARM_TARGET,
)

# Bump when the materialised layout or the reference patch changes: old cache folders are then
# simply not found again (their names are content hashes that include this).
LAYOUT_VERSION = "2"
JAVA_REFERENCE_DIR = ".meta/src/reference/java/"
JAVA_MAIN_DIR = "src/main/java/"
RUST_EXAMPLE_MANIFEST = ".meta/Cargo-example.toml"
# A user's checkout may hold what running the tests by hand leaves behind; none of it is exercise.
ALWAYS_SKIPPED = {".git", "node_modules", "__pycache__", ".pytest_cache", ".gradle", ".idea", ".vscode"}


@dataclass(frozen=True)
class Exercise:
    """One exercise folder and what its `.meta/config.json` says about it."""

    language: str
    slug: str
    folder: Path
    solution: tuple[str, ...]
    tests: tuple[str, ...]
    examples: tuple[str, ...]
    blurb: str

    @property
    def id(self) -> str:
        return f"{self.language}-{self.slug}"


def _quoted(paths: tuple[str, ...]) -> str:
    return " ".join(shlex.quote(p) for p in paths)


# Every command starts with `exec 2>&1`: the grader reads one stream, and runners that report on
# both (cargo's "Running ..." on stderr, results on stdout) must keep their order in it.

def _python_command(ex: Exercise) -> str:
    # The grader turns `python3 -m pytest` into its own launcher (benchmarks/runners.py).
    return f"exec 2>&1; python3 -m pytest {_quoted(ex.tests)}"


def _go_command(ex: Exercise) -> str:
    # GOPROXY=off: a module that is not already local fails at once instead of hanging on the
    # network; the exercises use only the standard library. The build cache starts as a copy of the
    # image's, where the standard library is already compiled.
    return (f"exec 2>&1; export {GO_ENV}; mkdir -p /tmp/dgm-go; cp -r {GO_WARM_CACHE} /tmp/dgm-go/cache; "
            f"go test -v ./...")


def _rust_command(ex: Exercise) -> str:
    # --include-ignored: the track marks all but the first test #[ignore] for learners; Aider runs
    # them all, and so do we. The target folder starts as a copy of the image's, where the crates the
    # exercises use are already built (sandbox/image.py, RUST_WARM_SETS).
    return (f"exec 2>&1; export {CARGO_ENV}; mkdir -p /tmp/dgm-cargo; cp -a {RUST_WARM_TARGET} /tmp/dgm-cargo/target; "
            f"cargo test --offline {CARGO_SOURCE} -- --include-ignored")


JEST_TIMEOUT_MS = 20_000


def _javascript_command(ex: Exercise) -> str:
    # The grader links node_modules to the tools installed in the image at build time, and un-skips
    # the tests the track skips for learners (xtest/xit/xdescribe), as Aider does (runners.py).
    # Jest's 5 s per test is a wall-clock limit: on a machine busy grading (a suite check grades
    # several exercises at once) parallel-letter-frequency's 50 worker threads outlast it.
    return (f"exec 2>&1; {JS_TOOLS_DIR}/node_modules/.bin/jest --ci --verbose --testTimeout={JEST_TIMEOUT_MS} "
            f"--runTestsByPath {_quoted(ex.tests)}")


JAVA_CLASSPATH = f"{JUNIT_JAR}:{ASSERTJ_JAR}"
# The image's class-data sharing archives (JAVA_CDS_DIR) make each JVM start about twice as fast;
# -Xlog:disable keeps the JVM from printing into the test output should an archive not match. javac
# runs briefly, so it also gets the quick compiler only and the serial collector; the tests do not
# (java-alphametics' solver takes three times as long without the optimising compiler).
JVM_FLAGS = ("-Xlog:disable",)
JAVAC_FLAGS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")
# The libraries Polyglot's Java exercises build with besides JUnit and AssertJ (build.gradle's
# `implementation` lines), and the jar in the image that provides each: Debian packages them, Maven
# Central cannot be reached. An exercise that needs any other is reported as not runnable offline.
JAVA_LIBRARIES = {"org.json:json": "/usr/share/java/json-latest.jar"}
GRADLE_IMPLEMENTATION = re.compile(r"""^\s*implementation\s*\(?\s*["']([\w.-]+):([\w.-]+)(?::([\w.+-]+))?["']""", re.M)


def java_libraries(ex: Exercise) -> tuple[list[str], list[str]]:
    """(the image's jars the exercise builds with, the Maven coordinates of those it lacks)."""
    gradle = ex.folder / "build.gradle"
    text = gradle.read_text(encoding="utf-8", errors="replace") if gradle.is_file() else ""
    jars, missing = [], []
    for group, artifact, version in GRADLE_IMPLEMENTATION.findall(text):
        jar = JAVA_LIBRARIES.get(f"{group}:{artifact}")
        if jar:
            jars.append(jar)
        else:
            missing.append(f"{group}:{artifact}" + (f":{version}" if version else ""))
    return jars, missing


def _java_command(ex: Exercise) -> str:
    # Gradle would fetch its plugins, JUnit and AssertJ from Maven Central; javac plus JUnit's
    # console launcher do the same build offline with Debian's jars. The grader removes @Disabled,
    # as Aider does, so every test runs (runners.py).
    out = "/tmp/dgm-java"
    libraries = "".join(f":{jar}" for jar in java_libraries(ex)[0])
    javac_flags = (*JVM_FLAGS, *JAVAC_FLAGS, f"-XX:SharedArchiveFile={JAVA_CDS_DIR}/javac.jsa")
    junit_flags = (*JVM_FLAGS, f"-XX:SharedArchiveFile={JAVA_CDS_DIR}/junit.jsa")
    return (
        f"exec 2>&1; set -e; "
        f"rm -rf {out}; mkdir -p {out}/classes; find src -name '*.java' > {out}/sources; "
        f"javac {' '.join('-J' + f for f in javac_flags)} -encoding UTF-8 -nowarn -d {out}/classes "
        f"-cp {JAVA_CLASSPATH}{libraries} @{out}/sources; "
        f"for r in src/main/resources src/test/resources; do if [ -d $r ]; then cp -r $r/. {out}/classes/; fi; done; "
        f"java {' '.join(junit_flags)} -Dsun.stdout.encoding=UTF-8 -jar {JUNIT_JAR} execute "
        f"--disable-banner --disable-ansi-colors --details=tree --details-theme=unicode --fail-if-no-tests "
        f"--exclude-engine=junit-vintage --exclude-engine=junit-platform-suite "
        f"--class-path {out}/classes:{ASSERTJ_JAR}{libraries} --scan-class-path={out}/classes"
    )


def unavailable(ex: Exercise) -> str:
    """What the exercise needs that cannot be had offline, or "" (the check reports it, never grades it)."""
    if ex.language == "java":
        missing = java_libraries(ex)[1]
        if missing:
            return (f"needs {', '.join(missing)} from Maven Central, which cannot be reached, and no Debian "
                    "package provides it")
    return ""


def _cpp_command(ex: Exercise) -> str:
    # The track's CMakeLists.txt names the project, the executable and the sources after the
    # folder, so the build runs in a copy named after the exercise (/repo would make it "repo").
    # Only the test executable is built (not the target that would also run it with the default
    # reporter), then run with Catch2's XML reporter, which names every test case and its result.
    # EXERCISM_TEST_SUITE links the image's prebuilt Catch2 main (Exercism's test runner does the
    # same) instead of compiling the bundled catch.hpp's main in every grade.
    slug = shlex.quote(ex.slug)
    work = f"/tmp/dgm-cpp/{slug}"
    return (f"exec 2>&1; set -e; rm -rf /tmp/dgm-cpp; mkdir -p /tmp/dgm-cpp; cp -a /repo {work}; cd {work}; "
            f"cmake -S . -B build -DEXERCISM_RUN_ALL_TESTS=1 -DEXERCISM_TEST_SUITE=1 -G 'Unix Makefiles' "
            f"--log-level=WARNING; "
            f"make -C build -j4 {slug}; build/{slug} -r xml")


@dataclass(frozen=True)
class Language:
    name: str
    runner: str  # the parser in benchmarks/outcomes.py
    command: Callable[[Exercise], str]
    build_dirs: frozenset[str] = frozenset()  # top-level build outputs a local run leaves behind


LANGUAGES: dict[str, Language] = {
    "cpp": Language("cpp", "catch2", _cpp_command, frozenset({"build"})),
    "go": Language("go", "go", _go_command),
    "java": Language("java", "junit", _java_command, frozenset({"build", "bin"})),
    "javascript": Language("javascript", "jest", _javascript_command),
    "python": Language("python", "pytest", _python_command),
    "rust": Language("rust", "cargo", _rust_command, frozenset({"target"})),
}


def load_polyglot(path: Path, languages: list[str] | None = None) -> list[Task]:
    """Every exercise of the checkout at ``path`` (optionally only ``languages``), sorted by id."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise TaskError(f"polyglot benchmark folder not found: {root}")
    present = [name for name in LANGUAGES if (root / name / "exercises" / "practice").is_dir()]
    if not present:
        raise TaskError(f"{root}: not a polyglot-benchmark checkout (no <language>/exercises/practice/ folders; "
                        "clone https://github.com/Aider-AI/polyglot-benchmark)")
    wanted = _wanted_languages(root, present, languages)
    exercises = [_read_exercise(lang, folder) for lang in wanted
                 for folder in sorted((root / lang / "exercises" / "practice").iterdir())
                 if folder.is_dir() and not folder.name.startswith((".", "_"))]
    if not exercises:
        raise TaskError(f"{root}: no exercises for {', '.join(wanted)}")
    cache = dgm_home() / "cache" / "polyglot"
    cache.mkdir(parents=True, exist_ok=True)
    # Materialising costs a few git calls per exercise (the reference diff): spread them out.
    with ThreadPoolExecutor(max_workers=min(8, len(exercises))) as pool:
        tasks = list(pool.map(lambda ex: _task(ex, _materialise(ex, cache)), exercises))
    return sorted(tasks, key=lambda t: t.id)


def _wanted_languages(root: Path, present: list[str], languages: list[str] | None) -> list[str]:
    if not languages:
        return present
    unknown = [lang for lang in languages if lang not in LANGUAGES]
    if unknown:
        raise TaskError(f"unknown polyglot language '{unknown[0]}' (known: {', '.join(sorted(LANGUAGES))})")
    missing = [lang for lang in languages if lang not in present]
    if missing:
        raise TaskError(f"{root}: the checkout has no {missing[0]}/exercises/practice/ folder")
    return list(dict.fromkeys(languages))


def _file_list(config: dict, key: str, where: Path, required: bool = True) -> tuple[str, ...]:
    value = config["files"].get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise TaskError(f"{where}: files.{key} must be a list of paths")
    if required and not value:
        raise TaskError(f"{where}: files.{key} is empty")
    for name in value:
        if PurePosixPath(name).is_absolute() or ".." in PurePosixPath(name).parts:
            raise TaskError(f"{where}: files.{key} names a path outside the exercise: {name}")
    return tuple(value)


def _read_exercise(language: str, folder: Path) -> Exercise:
    where = folder / ".meta" / "config.json"
    if not where.is_file():
        raise TaskError(f"{folder}: not a polyglot exercise (no .meta/config.json)")
    try:
        config = json.loads(where.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TaskError(f"{where}: not valid JSON: {exc}") from None
    if not isinstance(config, dict) or not isinstance(config.get("files"), dict):
        raise TaskError(f"{where}: missing the 'files' table (solution, test, example)")
    exercise = Exercise(
        language=language,
        slug=folder.name,
        folder=folder,
        solution=_file_list(config, "solution", where),
        tests=_file_list(config, "test", where),
        examples=_file_list(config, "example", where, required=False),
        blurb=str(config.get("blurb", "")).strip(),
    )
    for name in exercise.tests:
        if not (folder / name).is_file():
            raise TaskError(f"{where}: test file {name} does not exist")
    if not (folder / ".docs" / "instructions.md").is_file():
        raise TaskError(f"{folder}: missing .docs/instructions.md")
    return exercise


def _exercise_files(ex: Exercise) -> list[str]:
    """The exercise's regular files (relative, posix); links, special files and the leftovers of a
    local run are left out. Skipped folders are pruned, not walked: node_modules can be huge."""
    build_dirs = LANGUAGES[ex.language].build_dirs
    files = []
    for folder, dirs, names in os.walk(ex.folder):
        here = Path(folder)
        top_level = here == ex.folder
        dirs[:] = [d for d in dirs if d not in ALWAYS_SKIPPED and not (top_level and d in build_dirs)
                   and not (here / d).is_symlink()]
        for name in names:
            path = here / name
            if path.is_file() and not path.is_symlink():
                files.append(path.relative_to(ex.folder).as_posix())
    return sorted(files)


def _content_hash(ex: Exercise, files: list[str]) -> str:
    digest = hashlib.sha256(f"{LAYOUT_VERSION}\0{ex.language}\0{ex.slug}\0".encode())
    for name in files:
        digest.update(name.encode() + b"\0" + (ex.folder / name).read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def _materialise(ex: Exercise, cache: Path) -> Path:
    """The exercise's cache folder, written once (see `write_once`)."""
    files = _exercise_files(ex)
    return write_once(cache / _content_hash(ex, files), lambda tmp: _write_exercise(ex, files, tmp))


def _write_exercise(ex: Exercise, files: list[str], dest: Path) -> None:
    tests = set(ex.tests)
    for name in files:
        if name.startswith(".meta/"):
            continue
        target = dest / ("hidden" if name in tests else "repo") / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ex.folder / name, target)
        shutil.copymode(ex.folder / name, target)
    (dest / "repo").mkdir(exist_ok=True)
    (dest / "hidden").mkdir(exist_ok=True)
    mapping = example_targets(ex)
    if mapping is not None:
        after = dest / "reference"
        shutil.copytree(dest / "repo", after)
        for example, target in mapping.items():
            (after / target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ex.folder / example, after / target)
        (dest / "solution.patch").write_text(diff_trees(dest / "repo", after))
        shutil.rmtree(after)


def example_targets(ex: Exercise) -> dict[str, str] | None:
    """Which solution path each example file replaces, or None when that cannot be told.

    Java's reference tree mirrors src/main/java/. Elsewhere each example is matched to the one
    solution file with its extension (python .meta/example.py, go .meta/example.go, rust
    .meta/example.rs -> src/lib.rs, cpp .meta/example.cpp/.h, javascript .meta/proof.ci.js). A Rust
    example's .meta/Cargo-example.toml replaces Cargo.toml.
    """
    if not ex.examples or any(not (ex.folder / e).is_file() for e in ex.examples):
        return None
    mapping: dict[str, str] = {}
    for example in ex.examples:
        if ex.language == "java" and example.startswith(JAVA_REFERENCE_DIR):
            mapping[example] = JAVA_MAIN_DIR + example.removeprefix(JAVA_REFERENCE_DIR)
            continue
        suffix = PurePosixPath(example).suffix
        candidates = [s for s in ex.solution if PurePosixPath(s).suffix == suffix]
        if len(candidates) != 1:
            return None
        mapping[example] = candidates[0]
    if len(set(mapping.values())) != len(mapping):
        return None  # two examples for one file: ambiguous
    # The Rust track keeps the manifest its example builds with (the crates it uses) beside it.
    if ex.language == "rust" and (ex.folder / RUST_EXAMPLE_MANIFEST).is_file() and "Cargo.toml" in ex.solution:
        mapping[RUST_EXAMPLE_MANIFEST] = "Cargo.toml"
    return mapping


def problem_statement(ex: Exercise) -> str:
    """The docs the exercise ships (introduction, instructions, their appendices), then what to edit."""
    docs = ex.folder / ".docs"
    parts = [(docs / name).read_text(encoding="utf-8").strip()
             for name in ("introduction.md", "introduction.append.md", "instructions.md", "instructions.append.md")
             if (docs / name).is_file()]
    files = ", ".join(ex.solution)
    parts.append(f"Edit only {files} to solve this; keep the names of the existing functions, classes and types "
                 "(the hidden tests use them), and use only the language's standard library.")
    return "\n\n".join(p for p in parts if p) + "\n"


def _task(ex: Exercise, folder: Path) -> Task:
    patch_file = folder / "solution.patch"
    mapping = example_targets(ex) or {}
    editable = tuple(sorted({*ex.solution, *mapping.values()}))
    language = LANGUAGES[ex.language]
    return Task(
        id=ex.id,
        title=f"{ex.language}/{ex.slug}: {ex.blurb}" if ex.blurb else f"{ex.language}/{ex.slug}",
        difficulty="medium",
        kind="feature",
        problem=problem_statement(ex),
        root=folder,
        test_command=language.command(ex),
        fail_to_pass=(),
        pass_to_pass=(),
        repo_dir=folder / "repo",
        hidden_dir=folder / "hidden",
        solution_patch=patch_file.read_text() if patch_file.is_file() else None,
        image=POLYGLOT.tag,
        runner=language.runner,
        rule="all",
        editable=editable,
        benchmark="polyglot",
        language=ex.language,
        unavailable=unavailable(ex),
    )
