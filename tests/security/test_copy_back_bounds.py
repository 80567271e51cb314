"""What a container hands back is bounded (files, bytes, depth, time, patch size) against a real
engine; every refusal names its bound, and nothing it leaves under the run's work dir is beyond
removal."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

import pytest

from archive_db import Archive
from benchmarks.task import load_suite
from dgm.config import ModelConfig, RunConfig
from dgm.diagnose import Diagnosis
from dgm.evaluate import evaluate_task
from dgm.model_client import ModelClient
from dgm.runtime import Runtime
from dgm.self_modify import Rejected, _self_modify
from sandbox.container import DockerSandbox

pytestmark = pytest.mark.docker

DEEP = "import os\nos.chdir('/repo')\nfor _ in range(1500):\n    os.mkdir('d')\n    os.chdir('d')\nopen('leaf', 'w').write('x')\n"
WIDE = ("import os\nfor d in range(150):\n    os.mkdir(f'/repo/d{d}')\n"
        "    for f in range(1000):\n        open(f'/repo/d{d}/f{f}', 'w').close()\n")
BIG = "head -c 300M /dev/zero > /repo/big.bin"


def _runtime(tmp_path: Path, box: DockerSandbox, tasks=()) -> Runtime:
    """A Runtime of real parts: an archive, the sandbox, a model client that is never called."""
    config = RunConfig(run_dir=tmp_path / "run", sandbox=box.config, model=ModelConfig(base_url="http://127.0.0.1:9/v1"))
    archive = Archive.in_dir(config.run_dir)
    run = archive.create_run("copy-back", "{}", "0")
    return Runtime(config=config, archive=archive, run_id=run.id, repo=None, sandbox=box,  # type: ignore[arg-type]
                   models=ModelClient(config.model, None, archive), tasks=list(tasks))


@pytest.mark.parametrize(("command", "reason"), [
    (["python3", "-c", DEEP], "the output has a path more than 64 levels deep (sandbox.max_output_depth)"),
    (["python3", "-c", WIDE], "the output has more than 50,000 files (sandbox.max_output_files)"),
    (["bash", "-c", BIG], "the output is larger than 200.0 MiB (sandbox.max_output_bytes)"),
], ids=["1500-levels", "150000-files", "300-MB"])
def test_an_unbounded_tree_is_refused_with_its_reason_and_leaves_nothing(make_sandbox, tmp_path, command, reason):
    box = make_sandbox(disk="2g")
    rt = _runtime(tmp_path, box)
    empty = tmp_path / "empty"
    empty.mkdir()
    with rt.workdir("copy-back") as work:
        result = box.run(command, inputs={"/repo": empty}, outputs={"/repo": work / "repo_after"}, timeout_s=180)
        assert result.exit_code == 0, result.output  # the container did its part; the host refuses it
        assert result.error == f"/repo: {reason}"
        assert not (work / "repo_after").exists(), "half a tree would read as deletions in the diff"
    assert list((rt.run_dir / "work").iterdir()) == []
    rt.archive.close()


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
    rt = _runtime(tmp_path, box, [task])
    agent = rt.archive.add_agent(run_id=rt.run_id, generation=0, status="running")
    evaluation = evaluate_task(rt, agent.id, _agent(tmp_path, 1_810_000), task, 1)  # 181 MB of text
    assert evaluation.error == "the patch is larger than 2.0 MiB (sandbox.max_patch_bytes); not graded"
    assert not evaluation.resolved and not evaluation.empty_patch
    assert evaluation.patch == "" and evaluation.test_output == "" and evaluation.exit_code is None  # no grading ran
    assert list((rt.run_dir / "work").iterdir()) == []
    rt.archive.close()


def test_a_self_edit_past_the_patch_limit_is_rejected_with_the_reason(make_sandbox, tmp_path):
    box = make_sandbox(disk="512m")
    rt = _runtime(tmp_path, box)
    parent = rt.archive.add_agent(run_id=rt.run_id, generation=0, status="seed")
    child = rt.archive.add_agent(run_id=rt.run_id, parent_id=parent.id, generation=1, status="running")
    diagnosis = Diagnosis(improvement_proposal="write more", problem_description="write more")
    with rt.workdir("attempt") as work:
        code = _agent(work, 40_000)  # 4 MB: the agent edits its own code, the copy in /repo
        with pytest.raises(Rejected) as rejected:
            _self_modify(rt, parent, child.id, diagnosis, code, work)
    assert str(rejected.value) == "self-edit too large: the patch is larger than 2.0 MiB (sandbox.max_patch_bytes)"
    assert rt.archive.get_agent(child.id).commit is None
    rt.archive.close()


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
