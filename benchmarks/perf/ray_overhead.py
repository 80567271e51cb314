"""The Ray executor's overhead per job against the local executor, on the same configuration.

It runs the same short evolution run (the library's `run_dgm`: real sandbox, grader, archive, git
lineage, the demo's scripted model over real HTTP) once with each executor, interleaved when
repeated: `loop.executor = "local"` (a process per job on this machine) and `"ray"` (a Ray task per
job on a cluster: by default a two-node cluster this script starts on this machine, Ray's own
multi-node test cluster with one CPU per node, no dashboard and a small object store; or the one at
`--ray-address`). Both runs have two workers. The grade cache, the suite check and the cheating
canaries are off, so every task graded is one agent container and one grading container, and the
demo's rotation of diagnoses makes both runs do the same jobs whatever the order.

A job's time is its `job_finished.duration_s` in the run's events (from the coordinator's submit to
the job's "exited" message: for Ray that includes shipping the agent's commits and the task's folders
through the object store, scheduling, the node's unpacking, the gateway bridge and the stream of
messages back). It prints, per executor, the jobs and their mean time by kind, and then

    overhead per job: mean job time (ray) / mean job time (local)   (goal <= 1.10)

with the same ratio per kind, and the difference in seconds per job.

    python benchmarks/perf/ray_overhead.py [--generations N] [--parents N] [--tasks N] [--repeat R] [--ray-address A]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout without installing

from benchmarks.registry import load_benchmark  # noqa: E402
from dgm.config import EvaluationConfig, LoopConfig, ModelConfig, RunConfig  # noqa: E402
from dgm.demo import AGENT_MODEL, DEMO_PRICES, DIAGNOSIS_MODEL, demo_script  # noqa: E402
from dgm.loop import run_dgm  # noqa: E402
from dgm.models.scripted import ScriptedModelServer  # noqa: E402
from dgm.ray_executor import NODE_IMAGE_QUANTITY, image_resource  # noqa: E402
from sandbox.config import SandboxConfig  # noqa: E402

TASKS = ["slugify-unicode", "histobin-max-value-dropped", "confini-inline-comments", "roman-subtractive-parsing",
         "semver-prerelease-order", "tinycalc-power-operator"]
WORKERS = 2


def start_cluster() -> tuple[object, str]:
    """A head and a worker node on this machine, one CPU each, both advertising the sandbox image."""
    from ray.cluster_utils import Cluster

    temp_dir = tempfile.mkdtemp(prefix="dgm-ray-", dir="/tmp")
    resources = {image_resource(SandboxConfig().image): NODE_IMAGE_QUANTITY}
    node = {"num_cpus": 1, "object_store_memory": 100_000_000, "resources": resources, "temp_dir": temp_dir}
    cluster = Cluster(initialize_head=True, head_node_args={**node, "include_dashboard": False})
    cluster.add_node(**node)
    cluster.wait_for_nodes()
    return cluster, temp_dir


def run_once(executor: str, address: str, task_ids: list[str], args: argparse.Namespace) -> dict[str, list[float]]:
    """One run; each job's duration by kind."""
    tasks = load_benchmark(EvaluationConfig(tasks=task_ids)).tasks
    with tempfile.TemporaryDirectory(prefix=f"dgm-ray-overhead-{executor}-") as tmp, \
            ScriptedModelServer(demo_script(tasks)) as server:
        run_dir = Path(tmp) / "run"
        config = RunConfig(
            name=f"ray-overhead-{executor}", run_dir=run_dir,
            model=ModelConfig(base_url=server.base_url, agent_model=AGENT_MODEL, diagnosis_model=DIAGNOSIS_MODEL,
                              api_key_env="DGM_PERF_NO_KEY", prices=DEMO_PRICES),
            loop=LoopConfig(generations=args.generations, parents_per_generation=args.parents, workers=WORKERS,
                            executor=executor, ray_address=address),
            evaluation=EvaluationConfig(tasks=task_ids, stage_sizes=[len(task_ids)], check_suite=False,
                                        grade_cache=False, cheat_canaries=False),
        )
        start = time.monotonic()
        run_dgm(config)
        print(f"  {executor:>5}: run took {time.monotonic() - start:.1f} s", flush=True)
        events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines() if line.strip()]
    durations: dict[str, list[float]] = defaultdict(list)
    for e in events:
        if e["event"] == "job_finished":
            durations[e["kind"]].append(e["duration_s"])
            if e["outcome"] != "done":
                print(f"  warning: {executor}: job {e['job']} ended {e['outcome']}")
    return durations


def report(results: dict[str, list[dict[str, list[float]]]]) -> None:
    merged = {ex: defaultdict(list) for ex in results}
    for ex, runs in results.items():
        for run in runs:
            for kind, values in run.items():
                merged[ex][kind] += values
    print(f"\n{'executor':>8}{'jobs':>6}{'mean s/job':>12}   by kind (jobs, mean s)")
    for ex, kinds in merged.items():
        every = [v for values in kinds.values() for v in values]
        by_kind = ", ".join(f"{k} {len(v)}, {statistics.mean(v):.2f} s" for k, v in sorted(kinds.items()))
        print(f"{ex:>8}{len(every):>6}{statistics.mean(every):>12.2f}   {by_kind}")
    local = [v for values in merged["local"].values() for v in values]
    ray = [v for values in merged["ray"].values() for v in values]
    if len(local) != len(ray):
        print(f"warning: the runs did different numbers of jobs ({len(local)} local, {len(ray)} ray)")
    ratio = statistics.mean(ray) / statistics.mean(local)
    kinds = ", ".join(f"{k} {statistics.mean(merged['ray'][k]) / statistics.mean(merged['local'][k]):.2f}"
                      for k in sorted(merged["local"]) if merged["ray"].get(k))
    print(f"\noverhead per job: {statistics.mean(ray) - statistics.mean(local):+.2f} s")
    print(f"ray/local mean job time: {ratio:.3f}  (goal <= 1.10; by kind: {kinds})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generations", type=int, default=2)
    parser.add_argument("--parents", type=int, default=2, help="parents per generation")
    parser.add_argument("--tasks", type=int, default=4, help=f"the first N of a fixed mix of {len(TASKS)} built-in tasks")
    parser.add_argument("--repeat", type=int, default=1, help="runs per executor, interleaved")
    parser.add_argument("--ray-address", default=None, help="a running cluster (default: start a two-node one here)")
    args = parser.parse_args()
    if not 1 <= args.tasks <= len(TASKS):
        parser.error(f"--tasks must be 1 to {len(TASKS)}")
    cluster, temp_dir = (None, None) if args.ray_address else start_cluster()
    address = args.ray_address or cluster.address  # type: ignore[union-attr]
    print(f"{args.tasks} tasks, {args.generations} generations x {args.parents} parents, {WORKERS} workers; "
          f"Ray cluster at {address}")
    results: dict[str, list[dict[str, list[float]]]] = {"local": [], "ray": []}
    try:
        for _ in range(args.repeat):
            for executor in ("local", "ray"):
                results[executor].append(run_once(executor, address, TASKS[: args.tasks], args))
    finally:
        if cluster is not None:
            cluster.shutdown()  # type: ignore[attr-defined]
            shutil.rmtree(temp_dir, ignore_errors=True)
    report(results)


if __name__ == "__main__":
    main()
