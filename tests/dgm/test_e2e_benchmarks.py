"""The whole loop on the other benchmarks, for real: `dgm run --demo` on Polyglot (six languages, in
the six-toolchain image) and on a SWE-bench instance (its per-repository image is built by the run).
The scripted model stands in for the LLM; the agents, grading, images and archive are real."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from archive_db import Archive
from benchmarks.swebench import load_swebench
from benchmarks.swebench_image import remove_swebench_images
from tests.benchmarks.test_swebench_loading import instance, make_repo, write_jsonl

pytestmark = pytest.mark.docker
POLYGLOT = Path(__file__).parents[1] / "fixtures" / "polyglot"


def dgm(*args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dgm", *args], capture_output=True, text=True, timeout=timeout)


def _agents_and_evaluations(run_dir: Path):
    archive = Archive.in_dir(run_dir)
    try:
        agents = archive.agents(archive.latest_run().id)
        return agents, {a.id: archive.evaluations(a.id) for a in agents}
    finally:
        archive.close()


def test_a_polyglot_run_evolves_an_agent_that_solves_all_six_languages(polyglot_image, tmp_path):
    run_dir = tmp_path / "run"
    # No suite check (each exercise's stub and solution graded three times, C++ builds included): the run is
    # under test here; tests/benchmarks/test_polyglot_grading.py grades every stub and solution.
    proc = dgm("run", "--demo", "--run-dir", str(run_dir), "--benchmark", "polyglot", "--benchmark-path", str(POLYGLOT),
               "--generations", "1", "--parents", "1", "--workers", "2", "--no-check")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    agents, evaluations = _agents_and_evaluations(run_dir)
    seed, child = agents
    assert seed.score == 0.0 and child.status == "valid" and child.score == 1.0
    solved = evaluations[child.id]
    assert sorted(e.task_id.split("-")[0] for e in solved) == ["cpp", "go", "java", "javascript", "python", "rust"]
    for ev in solved:
        tests = json.loads(ev.test_results_json)
        # Not exit 0: the grader's must-fail canary test fails in every honest run (and is not listed).
        assert ev.resolved and ev.exit_code != 0 and tests and set(tests.values()) == {"PASSED"}, ev.task_id


def test_a_swebench_run_builds_the_repository_image_and_solves_the_instance(docker_client, tmp_path):
    fx = make_repo(tmp_path)
    dataset = write_jsonl(tmp_path / "lite.jsonl", [instance(fx)])
    (task,) = load_swebench(str(dataset), repos_dir=fx.repos_dir)
    remove_swebench_images(docker_client, [task.image])  # the build under test must happen in the run
    try:
        run_dir = tmp_path / "run"
        proc = dgm("run", "--demo", "--run-dir", str(run_dir), "--benchmark", "swebench", "--dataset", str(dataset),
                   "--repos-dir", str(fx.repos_dir), "--generations", "1", "--parents", "1")
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        assert f"building {task.image}" in proc.stdout
        agents, evaluations = _agents_and_evaluations(run_dir)
        seed, child = agents
        assert seed.score == 0.0 and child.score == 1.0
        [ev] = evaluations[child.id]
        assert ev.task_id == "dgmtest__calc-1" and ev.resolved and ev.stripped_paths_json == "[]"
    finally:
        remove_swebench_images(docker_client, [task.image])
