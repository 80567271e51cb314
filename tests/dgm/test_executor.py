"""LocalExecutor with real job processes (`python -m dgm.job_runner`) on a real engine: a stopped job
removes its own containers and ends on SIGTERM, before kill_all returns and well inside the grace
after which it would be killed outright; its messages still end with "exited"."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from archive_db.agents_repo import AgentRepo
from benchmarks.task import load_suite
from dgm.config import RunConfig
from dgm.executor import EXITED, KILL_GRACE_S, LocalExecutor, Message
from dgm.jobs import Channel, EvaluateJob, JobContext

pytestmark = pytest.mark.docker

# An agent that never ends on its own: the job is inside its container's wait when it is stopped.
SLEEPER = "import time\ntime.sleep(600)\n"


def _wait_for(predicate, timeout_s: float):
    # Polls a condition with a deadline: synchronisation on the state itself, not on a guess of time.
    deadline = time.monotonic() + timeout_s
    while not (value := predicate()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
    return value


def _sleeper_job(tmp_path: Path, sandbox_config, case: str) -> tuple[LocalExecutor, EvaluateJob]:
    config = RunConfig(run_dir=tmp_path / "run", sandbox=sandbox_config)
    (config.run_dir / "work").mkdir(parents=True)
    repo = AgentRepo(config.run_dir / "agents.git")
    code = tmp_path / "agent"
    code.mkdir()
    (code / "coding_agent.py").write_text(SLEEPER)
    commit = repo.commit_tree(code, None, "a sleeper")
    socket_dir = tmp_path / "no-gateway"  # the sleeper never calls the model
    socket_dir.mkdir()
    context = JobContext(config.model_dump_json(), str(repo.path), str(config.run_dir / "work"),
                         labels={"dgm.test": "1", "dgm.case": case})
    job = EvaluateJob(agent_id=2, commit=commit, task=load_suite("builtin")[0], stage=1, canary=False,
                      channel=Channel(str(socket_dir), "m"))
    return LocalExecutor(context, tmp_path / "logs"), job


def test_kill_all_ends_a_job_inside_its_container_and_leaves_no_container(docker_client, sandbox_config, tmp_path):
    case = uuid.uuid4().hex
    executor, job = _sleeper_job(tmp_path, sandbox_config, case)
    mine = {"label": f"dgm.case={case}"}
    executor.submit(job)
    [container] = _wait_for(lambda: docker_client.api.containers(filters={**mine, "status": "running"}), 120)
    assert container["Labels"]["dgm.job"] == job.job_id and executor.running() == [job.job_id]

    start = time.monotonic()
    executor.kill_all()
    took = time.monotonic() - start

    assert executor.running() == []
    assert took < KILL_GRACE_S, took  # it ended on SIGTERM; SIGKILL would have come only after the grace
    assert docker_client.api.containers(all=True, filters=mine) == []  # the job removed its own container
    messages: list[Message] = []
    _wait_for(lambda: messages.extend(executor.messages(0.1)) or any(m.body["type"] == EXITED for m in messages), 30)
    assert [m.job_id for m in messages] == [job.job_id] * len(messages)
    assert messages[-1].body["type"] == EXITED
    assert "result" not in [m.body["type"] for m in messages]  # a stopped job reports no verdict


def test_kill_stops_one_job_without_waiting_and_a_finished_job_is_never_signalled(docker_client, sandbox_config, tmp_path):
    case = uuid.uuid4().hex
    executor, job = _sleeper_job(tmp_path, sandbox_config, case)
    mine = {"label": f"dgm.case={case}"}
    executor.submit(job)
    _wait_for(lambda: docker_client.api.containers(filters={**mine, "status": "running"}), 120)
    executor.kill(job.job_id)  # returns at once; the "exited" message says when the job has ended
    messages: list[Message] = []
    _wait_for(lambda: messages.extend(executor.messages(0.1)) or any(m.body["type"] == EXITED for m in messages), 60)
    assert executor.running() == [] and docker_client.api.containers(all=True, filters=mine) == []
    executor.kill(job.job_id)  # out of the table before it was reaped: its pid may be another process's now
    executor.kill_all()
