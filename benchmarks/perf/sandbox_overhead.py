"""Per-task overhead of the sandbox, from starting the agent's container to a graded result.

For each built-in task it times:
  bare     a plain `docker run --rm --network none IMAGE <test command>` on the snapshot (the floor),
  grade    our grader alone (fresh container, patch, hidden tests, parse),
  pipeline an agent container with a no-op agent (copy in, git init, run, copy out, host diff)
           followed by grading: the whole per-task cost that is not the model's thinking time.
It prints per-task means and the ratio pipeline / bare.

    python benchmarks/perf/sandbox_overhead.py [--tasks N] [--repeat R]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.grader import grade
from benchmarks.task import load_suite
from dgm.agent_run import run_agent
from dgm.config import LimitsConfig, ModelConfig, RunConfig, SandboxConfig
from dgm.gateway import Gateway
from dgm.model_client import CallContext, ModelClient
from sandbox.container import DockerSandbox
from sandbox.engine import docker_client

NOOP_AGENT = "import json, sys\nopen(sys.argv[sys.argv.index('--outdir') + 1] + '/transcript.json', 'w').write('[]')\n"


def bare_run(image: str, task_repo: Path, command: str) -> float:
    start = time.monotonic()
    subprocess.run(["docker", "run", "--rm", "--network", "none", "-v", f"{task_repo}:/repo:ro", "-w", "/repo",
                    "-e", "PYTHONDONTWRITEBYTECODE=1", image, "bash", "-c", command + " -p no:cacheprovider"],
                   capture_output=True, check=False)
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    tasks = load_suite("builtin")[: args.tasks]
    config = RunConfig(sandbox=SandboxConfig(), model=ModelConfig(base_url="http://127.0.0.1:9/v1"))
    sandbox = DockerSandbox(docker_client(), config.sandbox, labels={"dgm.role": "perf"})
    bare, graded, pipeline = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        agent = Path(tmp) / "agent"
        agent.mkdir()
        (agent / "coding_agent.py").write_text(NOOP_AGENT)
        client = ModelClient(config.model, None, None)
        for _ in range(args.repeat):
            for task in tasks:
                bare.append(bare_run(config.sandbox.image, task.repo_dir, task.test_command))
                start = time.monotonic()
                grade(sandbox, task, task.solution_patch or "")
                graded.append(time.monotonic() - start)
                start = time.monotonic()
                with Gateway(client, CallContext(None, None, task.id, "perf"), "m", LimitsConfig()) as gw:
                    work = Path(tempfile.mkdtemp(dir=tmp))
                    outcome = run_agent(sandbox, config, agent, task.repo_dir, task.problem, gw.channel, work)
                grade(sandbox, task, outcome.patch or task.solution_patch or "")
                pipeline.append(time.monotonic() - start)
    mean = statistics.mean
    print(f"tasks: {len(tasks)} x {args.repeat} repeats")
    print(f"bare docker run of the test command : {mean(bare):.2f} s/task")
    print(f"grader alone (fresh container)       : {mean(graded):.2f} s/task  ratio {mean(graded) / mean(bare):.2f}x")
    print(f"agent container + grading (no model) : {mean(pipeline):.2f} s/task  ratio {mean(pipeline) / mean(bare):.2f}x")


if __name__ == "__main__":
    main()
