"""The suite check and the grade cache against the real grader: a broken task is found and left out
of a run, `dgm bench check` exits non-zero on it, and a repeated (task, patch) is not graded twice."""

import dataclasses
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.cache import GradeCache, grade_cached
from benchmarks.check import check_suite
from benchmarks.prepare import vet
from benchmarks.registry import Benchmark
from benchmarks.task import SUITES, load_suite, load_task

pytestmark = pytest.mark.docker
GOOD = "slugify-unicode"
README_ONLY = """diff --git a/README.md b/README.md
--- a/README.md
+++ b/README.md
@@ -1 +1,2 @@
"""


@pytest.fixture()
def suite(tmp_path: Path) -> Path:
    """A suite of two: a sound built-in task, and a copy whose reference fixes nothing."""
    root = tmp_path / "suite"
    shutil.copytree(SUITES / "builtin" / GOOD, root / GOOD)
    broken = root / "broken-reference"
    shutil.copytree(SUITES / "builtin" / GOOD, broken)
    (broken / "task.toml").write_text((broken / "task.toml").read_text().replace(f'"{GOOD}"', '"broken-reference"'))
    first = (broken / "repo" / "README.md").read_text().splitlines()[0]
    (broken / "solution.patch").write_text(README_ONLY + f" {first}\n+Nothing here fixes the bug.\n")
    return root


def test_check_finds_the_broken_task_and_a_run_leaves_it_out(sandbox, suite):
    tasks = load_suite("custom", suite)
    events: list[tuple[str, dict]] = []
    cache = GradeCache()
    kept, checks = vet(sandbox, Benchmark("custom", tasks), workers=2, cache=cache,
                       emit=lambda kind, **data: events.append((kind, data)))
    assert [t.id for t in kept] == [GOOD]
    assert checks[GOOD].status == "ok" and checks[GOOD].reference == ["passes", "passes"]
    assert checks["broken-reference"].status == "broken"
    assert "reference solution does not pass" in checks["broken-reference"].reason
    assert events[-1] == ("suite_checked", {"benchmark": "custom", "ok": 1, "flaky": 0, "broken": 1,
                                            "dropped": ["broken-reference"]})
    # A second run on the same machine reuses the verdicts instead of grading again.
    cached: list[bool] = []
    again = check_suite(sandbox, tasks, cache=cache, on_result=lambda task, check, hit: cached.append(hit))
    assert cached == [True, True] and again["broken-reference"].status == "broken"


def test_bench_check_prints_a_table_and_fails_on_a_broken_task(docker_client, suite):
    proc = subprocess.run([sys.executable, "-m", "dgm", "bench", "check", "custom", "--benchmark-path", str(suite)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "2 tasks: 1 ok, 0 flaky, 1 broken" in proc.stdout
    # The broken task is printed as it is found, before the table at the end.
    found = proc.stdout.index("broken: broken-reference: the reference solution does not pass")
    assert found < proc.stdout.index("2 tasks: 1 ok, 0 flaky, 1 broken")
    assert "broken-reference" in proc.stdout and "passes / passes" in proc.stdout

    shutil.rmtree(suite / "broken-reference")
    proc = subprocess.run([sys.executable, "-m", "dgm", "bench", "check", "custom", "--benchmark-path", str(suite)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and "1 tasks: 1 ok, 0 flaky, 0 broken" in proc.stdout, proc.stdout + proc.stderr


def test_a_patch_graded_before_comes_from_the_cache(sandbox, tmp_path):
    task = load_task(SUITES / "builtin" / GOOD)
    cache = GradeCache(tmp_path / "grades.sqlite")
    first = grade_cached(sandbox, task, task.solution_patch, cache)
    assert first.resolved and not first.cached
    second = grade_cached(sandbox, task, task.solution_patch, GradeCache(tmp_path / "grades.sqlite"))
    assert second.cached and second.resolved and second.tests == first.tests and second.output == first.output
    # The same fix plus an edit of a hidden test grades alike (the edit is stripped), and says so.
    hidden = task.hidden_files[0]
    cheat = (f"diff --git a/{hidden} b/{hidden}\nnew file mode 100644\n--- /dev/null\n+++ b/{hidden}\n"
             "@@ -0,0 +1,2 @@\n+def test_nothing():\n+    pass\n")
    third = grade_cached(sandbox, task, task.solution_patch + cheat, cache)
    assert third.cached and third.resolved and third.stripped_paths == [hidden]
    # A changed task is a different key: graded afresh.
    changed = dataclasses.replace(task, test_command=task.test_command + " -x")
    assert not grade_cached(sandbox, changed, task.solution_patch, cache).cached


def test_ctrl_c_stops_bench_check_promptly_and_removes_its_containers(docker_client):
    # Every built-in task, two at a time: far longer than the test waits.
    proc = subprocess.Popen([sys.executable, "-m", "dgm", "bench", "check", "builtin", "--workers", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    mine = {"label": f"dgm.owner_pid={proc.pid}"}
    try:
        deadline = time.monotonic() + 120
        while not docker_client.containers.list(filters=mine) and proc.poll() is None and time.monotonic() < deadline:
            try:  # the pause between looks at the engine, cut short if the command ends
                proc.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                pass
        assert docker_client.containers.list(filters=mine), "no grading container started"
        proc.send_signal(signal.SIGINT)
        start = time.monotonic()
        out, err = proc.communicate(timeout=60)
        assert time.monotonic() - start < 30, "Ctrl-C took too long"
    finally:  # a check that did not stop must not go on grading the whole suite behind the test's back
        if proc.poll() is None:
            proc.kill()
            proc.wait()
            for container in docker_client.containers.list(all=True, filters=mine):
                container.remove(force=True)
    assert proc.returncode != 0 and "Traceback" not in err, err[-2000:]
    assert docker_client.containers.list(all=True, filters=mine) == []
