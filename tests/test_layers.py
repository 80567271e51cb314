"""The packages' imports point one way: kernel <- sandbox, archive_db <- benchmarks, web <- dgm.

kernel imports none of the others; sandbox and archive_db only kernel; benchmarks only kernel and
sandbox; web only kernel and archive_db (what a reader needs). Only dgm, the algorithm and the CLI,
may import everything. Checked on the source (every import statement, also inside functions), so an
upward import fails here before it makes a cycle. benchmarks/perf/ holds timing scripts (tools, not
the library) and suites/ and canaries/ hold task data: those are not checked.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"kernel", "sandbox", "archive_db", "benchmarks", "web", "dgm"}
ALLOWED = {
    "kernel": set(),
    "sandbox": {"kernel"},
    "archive_db": {"kernel"},
    "benchmarks": {"kernel", "sandbox"},
    "web": {"kernel", "archive_db"},
}
NOT_LIBRARY = ("benchmarks/perf/", "benchmarks/suites/", "benchmarks/canaries/")


def imported_packages(path: Path) -> list[tuple[int, str]]:
    """(line, top-level package) of every import of one of our packages in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [(node.lineno, name.split(".")[0]) for name in names if name.split(".")[0] in PACKAGES]
    return found


def modules(package: str) -> list[Path]:
    return [p for p in sorted((ROOT / package).rglob("*.py"))
            if not p.relative_to(ROOT).as_posix().startswith(NOT_LIBRARY)]


def test_every_package_imports_only_the_layers_below_it():
    upward = []
    for package, allowed in ALLOWED.items():
        assert modules(package), package
        for path in modules(package):
            upward += [f"{path.relative_to(ROOT)}:{line} imports {name}" for line, name in imported_packages(path)
                       if name != package and name not in allowed]
    assert upward == [], "imports that point up a layer:\n" + "\n".join(upward)


def test_the_check_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import os\n\ndef f():\n    from dgm.config import RunConfig\n    import web.app\n")
    assert imported_packages(module) == [(4, "dgm"), (5, "web")]
