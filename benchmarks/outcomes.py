"""Reading per-test outcomes out of a test runner's output, one parser per runner.

Every parser maps a test id to PASSED, FAILED, ERROR, SKIPPED, XFAIL or XPASS. The grader stores the
map with each evaluation, so a user can see which tests a patch flipped, whatever the language.

Parsers never decide "resolved" on their own (the grader also looks at the exit code); they only
have to be right about the tests they do report. Where a runner says that a whole file or package
did not build, the parser reports one ERROR entry for it (ids ending in "(build)" or "(suite)"), so
the failure shows up in the stored outcomes and not only in the raw output.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

Parser = Callable[[str], dict[str, str]]

PYTEST_LINE = re.compile(r"^(PASSED|FAILED|ERROR|XFAIL|XPASS|SKIPPED)\s+(\S+)", re.MULTILINE)

# When one id is reported twice (the same test name in two Go packages or two Rust test binaries),
# the worse outcome wins: a failure must never be hidden by a pass of a namesake.
_SEVERITY = {"SKIPPED": 0, "XFAIL": 0, "PASSED": 1, "XPASS": 1, "FAILED": 2, "ERROR": 3}


def record(results: dict[str, str], test_id: str, outcome: str) -> None:
    if _SEVERITY[outcome] >= _SEVERITY.get(results.get(test_id, "SKIPPED"), 0):
        results[test_id] = outcome


def parse_pytest(output: str) -> dict[str, str]:
    """pytest's `-rA` short summary: `PASSED tests/test_x.py::test_y`. (The grader itself reads only
    its report plugin's tagged lines: benchmarks/runners.py.)"""
    results: dict[str, str] = {}
    for outcome, node in PYTEST_LINE.findall(output):
        record(results, node, outcome)
    return results


GO_RESULT = re.compile(r"^\s*--- (PASS|FAIL|SKIP): (\S+) \(", re.MULTILINE)
GO_RUN = re.compile(r"^=== RUN\s+(\S+)", re.MULTILINE)
GO_BUILD_FAILED = re.compile(r"^FAIL\s+(\S+)\s+\[(?:build|setup) failed\]", re.MULTILINE)
GO_OUTCOMES = {"PASS": "PASSED", "FAIL": "FAILED", "SKIP": "SKIPPED"}


def parse_go(output: str) -> dict[str, str]:
    """`go test -v`: `--- PASS: TestX (0.00s)`, subtests indented as `--- FAIL: TestX/case (0.00s)`.

    A test that started (`=== RUN`) but never reported is an ERROR: a panic in another test or a
    timeout ended the test binary under it.
    """
    results: dict[str, str] = {}
    for word, name in GO_RESULT.findall(output):
        record(results, name, GO_OUTCOMES[word])
    for name in GO_RUN.findall(output):
        results.setdefault(name, "ERROR")
    for package in GO_BUILD_FAILED.findall(output):
        record(results, f"{package} (build)", "ERROR")
    return results


CARGO_RESULT = re.compile(r"^test (.+?) \.\.\. (ok|FAILED|ignored)\b", re.MULTILINE)
CARGO_BUILD_FAILED = re.compile(r"^error: could not compile `([^`]+)`", re.MULTILINE)
CARGO_OUTCOMES = {"ok": "PASSED", "FAILED": "FAILED", "ignored": "SKIPPED"}


CARGO_BINARY = re.compile(r"^\s*Running (?:unittests )?(\S+)", re.MULTILINE)
CARGO_BLOCK = re.compile(r"^running (\d+) tests?$|^test result: ", re.MULTILINE)


def parse_cargo(output: str) -> dict[str, str]:
    """`cargo test`: `test tests::name ... ok|FAILED|ignored` (doc tests: `test src/lib.rs - f (line 3) ... ok`).

    A test binary that announced `running N tests` and never printed its `test result:` line died
    (an abort, a signal, an exit from the code under test): one ERROR entry for it, since the tests
    it had not reported yet are unknown by name.
    """
    results: dict[str, str] = {}
    for name, word in CARGO_RESULT.findall(output):
        record(results, name, CARGO_OUTCOMES[word])
    for crate in CARGO_BUILD_FAILED.findall(output):
        record(results, f"{crate} (build)", "ERROR")
    open_block: str | None = None
    for match in CARGO_BLOCK.finditer(output):
        if match.group(1) is not None:
            if open_block is not None:
                record(results, f"{open_block} (crashed)", "ERROR")
            binaries = CARGO_BINARY.findall(output, 0, match.start())
            open_block = binaries[-1] if binaries else "test binary"
        else:
            open_block = None
    if open_block is not None:
        record(results, f"{open_block} (crashed)", "ERROR")
    return results


JEST_FILE = re.compile(r"^(PASS|FAIL)\s+(\S+)")
JEST_TEST = re.compile(r"^(\s*)([✓✕○✎]) (.*?)(?: \(\d+(?:\.\d+)? ?m?s\))?$")
# jest spells out why a test did not run: `○ skipped <title>`, `✎ todo <title>`.
JEST_PREFIX = {"○": "skipped ", "✎": "todo "}
JEST_OUTCOMES = {"✓": "PASSED", "✕": "FAILED", "○": "SKIPPED", "✎": "SKIPPED"}


def parse_jest(output: str) -> dict[str, str]:
    """jest `--verbose`: a `PASS|FAIL <file>` header, then an indented tree of describe blocks and
    `✓|✕|○|✎ <title>` lines. Ids are `<file>::<describe> › ... › <title>`, as jest names failures.

    The tree is contiguous; a blank line or a `●` failure block ends it, so the source excerpts in
    failure messages are never read as tests.
    """
    results: dict[str, str] = {}
    current: str | None = None
    stack: list[tuple[int, str]] = []  # (indent, describe title) of the enclosing describe blocks
    in_tree = False
    for line in output.splitlines():
        header = JEST_FILE.match(line)
        if header:
            current, stack, in_tree = header.group(2).removeprefix("./"), [], True
            continue
        if current is None:
            continue
        stripped = line.strip()
        if stripped.startswith("● Test suite failed to run"):
            record(results, f"{current} (suite)", "ERROR")
        if not in_tree:
            continue
        if not stripped or stripped.startswith("●"):
            in_tree = False
            continue
        indent = len(line) - len(line.lstrip())
        while stack and stack[-1][0] >= indent:
            stack.pop()
        test = JEST_TEST.match(line)
        if test:
            mark, title = test.group(2), test.group(3).removeprefix(JEST_PREFIX.get(test.group(2), ""))
            title = " › ".join([*(name for _, name in stack), title])
            record(results, f"{current}::{title}", JEST_OUTCOMES[mark])
        else:
            stack.append((indent, stripped))
    return results


# The launcher appends a slow test's duration to its name (`testTenLetters() 15934 ms ✔`): not part of it.
JUNIT_NODE = re.compile(r"^([│ ]*)[├└]─ (.*?)(?: \d+ ms)? ([✔✘↷■])(?: .*)?$")
JUNIT_OUTCOMES = {"✔": "PASSED", "✘": "FAILED", "↷": "SKIPPED", "■": "ERROR"}


def parse_junit(output: str) -> dict[str, str]:
    """JUnit 5's console launcher, `--details=tree` (unicode theme):

        ├─ JUnit Jupiter ✔
        │  └─ LeapTest ✔
        │     ├─ leapYear() ✔
        │     └─ the century rule ✘ expected: <true> but was: <false>

    Depth comes from the prefix (three characters a level). Leaves below the engine level are
    tests; their id is the path below the engine: `LeapTest::leapYear()`.
    """
    nodes: list[tuple[int, str, str]] = []
    for line in output.splitlines():
        match = JUNIT_NODE.match(line)
        if match:
            nodes.append((len(match.group(1)) // 3, match.group(2), match.group(3)))
    results: dict[str, str] = {}
    path: list[str] = []
    for i, (depth, name, mark) in enumerate(nodes):
        del path[depth:]
        path.append(name)
        is_leaf = i + 1 == len(nodes) or nodes[i + 1][0] <= depth
        if depth > 0 and is_leaf:  # depth 0 is an engine (Jupiter, Vintage), never a test
            record(results, "::".join(path[1:]), JUNIT_OUTCOMES[mark])
    return results


CATCH2_TAG = re.compile(r"<TestCase name=\"([^\"]*)\"|<OverallResult success=\"(true|false)\"")


def parse_catch2(output: str) -> dict[str, str]:
    """Catch2's XML reporter (`-r xml`): `<TestCase name="...">` ... `<OverallResult success="true"/>`.

    Sections report `<OverallResults .../>` (plural), which the pattern leaves alone. A test case
    that opened but never reported a result crashed the test binary: ERROR.
    """
    results: dict[str, str] = {}
    open_case: str | None = None
    for name, success in CATCH2_TAG.findall(output):
        if name:
            if open_case is not None:
                record(results, open_case, "ERROR")
            open_case = html.unescape(name)
        elif open_case is not None:
            record(results, open_case, "PASSED" if success == "true" else "FAILED")
            open_case = None
    if open_case is not None:
        record(results, open_case, "ERROR")
    return results


PARSERS: dict[str, Parser] = {
    "pytest": parse_pytest,
    "go": parse_go,
    "cargo": parse_cargo,
    "jest": parse_jest,
    "junit": parse_junit,
    "catch2": parse_catch2,
}


def parse(runner: str, output: str) -> dict[str, str]:
    try:
        parser = PARSERS[runner]
    except KeyError:
        raise ValueError(f"no outcome parser for runner '{runner}' (known: {', '.join(sorted(PARSERS))})") from None
    return parser(output)
