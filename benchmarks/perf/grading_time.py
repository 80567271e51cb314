"""Grading time per task of the built-in suite, and our overhead against a bare `docker run`.

For every task (reference solution), it times:
  bare    `docker run --rm --network none IMAGE <test command>` on the snapshot with the hidden tests
          already in place: the floor for running those tests in a container at all;
  grade   our grader: fresh container, copy in, strip and apply the patch, hidden tests, parse;
  cached  the same (task, patch) again through the grade cache.
It prints one row per task, then the means and the ratios grade/bare and grade/cached.

    python benchmarks/perf/grading_time.py [--repeat R] [--tasks N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.cache import GradeCache, grade_cached
from benchmarks.grader import grade
from benchmarks.task import Task, load_suite
from kernel.git import git
from kernel.trees import copy_tree
from sandbox.config import SandboxConfig
from sandbox.container import DockerSandbox
from sandbox.engine import docker_client


def bare_run(image: str, task: Task, scratch: Path) -> float:
    # The same files the grader ends up with (snapshot + reference + hidden tests), mounted read-only.
    tree = scratch / task.id
    shutil.rmtree(tree, ignore_errors=True)
    copy_tree(task.repo_dir, tree)
    git("apply", "--whitespace=nowarn", "-", cwd=tree, env={"GIT_CEILING_DIRECTORIES": str(scratch)},
        input=(task.solution_patch or "").encode())
    copy_tree(task.hidden_dir, tree)
    start = time.monotonic()
    subprocess.run(["docker", "run", "--rm", "--network", "none", "-v", f"{tree}:/repo:ro", "-w", "/repo",
                    "-e", "PYTHONDONTWRITEBYTECODE=1", image, "bash", "-c", task.test_command + " -p no:cacheprovider"],
                   capture_output=True, check=False)
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--tasks", type=int, default=0, help="only the first N tasks (0: all)")
    args = parser.parse_args()

    tasks = load_suite("builtin")
    tasks = tasks[: args.tasks] if args.tasks else tasks
    config = SandboxConfig()
    sandbox = DockerSandbox(docker_client(), config, labels={"dgm.role": "perf"})
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cache = GradeCache(Path(tmp) / "grades.sqlite")
        for task in tasks:
            bare, graded = [], []
            for _ in range(args.repeat):
                bare.append(bare_run(config.image, task, Path(tmp)))
                start = time.monotonic()
                result = grade(sandbox, task, task.solution_patch or "")
                graded.append(time.monotonic() - start)
                assert result.resolved, f"{task.id}: reference does not pass"
            grade_cached(sandbox, task, task.solution_patch or "", cache)  # fill
            start = time.monotonic()
            assert grade_cached(sandbox, task, task.solution_patch or "", cache).cached
            cached = time.monotonic() - start
            rows.append((task.id, statistics.mean(bare), statistics.mean(graded), cached))
            print(f"{task.id:40s} bare {rows[-1][1]:5.2f} s   grade {rows[-1][2]:5.2f} s   "
                  f"ratio {rows[-1][2] / rows[-1][1]:4.2f}x   cached {cached * 1000:6.1f} ms", flush=True)
    sandbox.close()
    bare_mean = statistics.mean(r[1] for r in rows)
    grade_mean = statistics.mean(r[2] for r in rows)
    cached_mean = statistics.mean(r[3] for r in rows)
    print(f"\n{len(rows)} tasks x {args.repeat} repeats")
    print(f"bare docker run of the test command : {bare_mean:.2f} s/task")
    print(f"our grader (fresh container)         : {grade_mean:.2f} s/task   overhead ratio {grade_mean / bare_mean:.2f}x")
    print(f"grade-cache hit                      : {cached_mean * 1000:.1f} ms/task   "
          f"{grade_mean / cached_mean:.0f}x faster than grading")
    print(f"whole suite graded once              : {sum(r[2] for r in rows):.1f} s sequential")


if __name__ == "__main__":
    main()
