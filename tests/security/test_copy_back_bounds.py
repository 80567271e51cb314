"""What a container hands back is bounded (files, bytes, depth, time, patch size) against a real
engine; every refusal names its bound, and nothing it leaves under the run's work dir is beyond
removal."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

import pytest

from archive_db.agents_repo import AgentRepo
from benchmarks.task import load_suite
from dgm.config import RunConfig
from dgm.diagnose import Diagnosis
from dgm.job_work import evaluate, expand
from dgm.jobs import Channel, EvaluateJob, ExpandJob, JobContext
from kernel.trees import scratch_dir

pytestmark = pytest.mark.docker

DEEP = "import os\nos.chdir('/repo')\nfor _ in range(1500):\n    os.mkdir('d')\n    os.chdir('d')\nopen('leaf', 'w').write('x')\n"
WIDE = ("import os\nfor d in range(150):\n    os.mkdir(f'/repo/d{d}')\n"
        "    for f in range(1000):\n        open(f'/repo/d{d}/f{f}', 'w').close()\n")
BIG = "head -c 300M /dev/zero > /repo/big.bin"


def _job_context(tmp_path: Path, box) -> tuple[JobContext, RunConfig, AgentRepo]:
    """What a job process gets: the run's config, its agents.git, its work folder."""
    config = RunConfig(run_dir=tmp_path / "run", sandbox=box.config)
    (config.run_dir / "work").mkdir(parents=True)
    repo = AgentRepo(config.run_dir / "agents.git")
    context = JobContext(config.model_dump_json(), str(repo.path), str(config.run_dir / "work"))
    return context, config, repo


def _channel(tmp_path: Path) -> Channel:
    folder = tmp_path / "no-gateway"  # the agents here never call the model
    folder.mkdir(exist_ok=True)
    return Channel(str(folder), "m")


@pytest.mark.parametrize(("command", "reason"), [
    (["python3", "-c", DEEP], "the output has a path more than 64 levels deep (sandbox.max_output_depth)"),
    (["python3", "-c", WIDE], "the output has more than 50,000 files (sandbox.max_output_files)"),
    (["bash", "-c", BIG], "the output is larger than 200.0 MiB (sandbox.max_output_bytes)"),
], ids=["1500-levels", "150000-files", "300-MB"])
def test_an_unbounded_tree_is_refused_with_its_reason_and_leaves_nothing(make_sandbox, tmp_path, command, reason):
    box = make_sandbox(disk="2g")
    empty, work_root = tmp_path / "empty", tmp_path / "work"
    empty.mkdir()
    work_root.mkdir()
    with scratch_dir("copy-back-", work_root) as work:
        result = box.run(command, inputs={"/repo": empty}, outputs={"/repo": work / "repo_after"}, timeout_s=180)
        assert result.exit_code == 0, result.output  # the container did its part; the host refuses it
        assert result.error == f"/repo: {reason}"
        assert not (work / "repo_after").exists(), "half a tree would read as deletions in the diff"
    assert list(work_root.iterdir()) == []


BIG_PATCH_AGENT = textwrap.dedent('''
    import sys
    repo = sys.argv[sys.argv.index("--repo") + 1]
    line = "x" * 99 + "\\n"
    with open(repo + "/generated.txt", "w") as f:
        for _ in range({lines}):
            f.write(line)
''')


def _agent(tmp_path: Path, lines: int) -> Path:
    code = tmp_path / "agent"
    code.mkdir()
    (code / "coding_agent.py").write_text(BIG_PATCH_AGENT.format(lines=lines))
    return code


def test_a_181_mb_patch_is_recorded_as_an_error_and_never_graded(make_sandbox, tmp_path):
    task = load_suite("builtin")[0]
    box = make_sandbox(disk="512m")
    context, config, repo = _job_context(tmp_path, box)
    commit = repo.commit_tree(_agent(tmp_path, 1_810_000), None, "agent")  # 181 MB of text
    job = EvaluateJob(agent_id=2, commit=commit, task=task, stage=1, canary=False, channel=_channel(tmp_path))
    evaluation = evaluate(job, context, box, config, lambda message: None)  # what the job reports for the record
    assert evaluation["error"] == "the patch is larger than 2.0 MiB (sandbox.max_patch_bytes); not graded"
    assert not evaluation["resolved"] and not evaluation["empty_patch"]
    assert evaluation["patch"] == "" and evaluation["test_output"] == "" and evaluation["exit_code"] is None  # no grading
    assert list((config.run_dir / "work").iterdir()) == []


def test_a_self_edit_past_the_patch_limit_is_rejected_with_the_reason(make_sandbox, tmp_path):
    box = make_sandbox(disk="512m")
    context, config, repo = _job_context(tmp_path, box)
    parent = repo.commit_tree(_agent(tmp_path, 40_000), None, "parent")  # 4 MB: it edits its own code, the copy in /repo
    diagnosis = Diagnosis(improvement_proposal="write more", problem_description="write more")
    job = ExpandJob(child_id=2, parent_commit=parent, editor_commit=parent, brief=None,
                    diagnosis_json=diagnosis.model_dump_json(), child_commit=None,
                    diagnose_channel=_channel(tmp_path), edit_channel=_channel(tmp_path))
    reports: list[dict] = []
    result = expand(job, context, box, config, reports.append)
    assert result == {"type": "result", "outcome": "rejected",
                      "reason": "self-edit too large: the patch is larger than 2.0 MiB (sandbox.max_patch_bytes)"}
    [edit] = [r for r in reports if r["type"] == "self_edit"]
    assert edit["patch"] == ""  # nothing for the coordinator to commit
    assert list((config.run_dir / "work").iterdir()) == []


def test_a_case_label_does_not_outlive_its_refused_run(make_sandbox, docker_client, tmp_path):
    # The refusal closes the half-read stream at once: the removal that follows does not hang.
    box = make_sandbox(disk="512m", max_output_bytes=1024 * 1024)
    case = uuid.uuid4().hex
    empty = tmp_path / "empty"
    empty.mkdir()
    result = box.run(["bash", "-c", BIG], outputs={"/repo": tmp_path / "out"}, labels={"dgm.case": case},
                     inputs={"/repo": empty}, timeout_s=120)
    assert result.error == "/repo: the output is larger than 1.0 MiB (sandbox.max_output_bytes)"
    assert result.duration_s < 30
    assert docker_client.containers.list(all=True, filters={"label": f"dgm.case={case}"}) == []
