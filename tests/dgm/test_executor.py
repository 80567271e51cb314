"""The Executor contract, for each executor (LocalExecutor: a process per job on this host; RayExecutor:
a Ray task per job on a real two-node cluster), with real job processes (`python -m dgm.job_runner`) on
a real engine: a job's messages arrive and end with "exited"; a stopped job removes its own containers
and ends on SIGTERM, before kill_all returns and well inside the grace after which it would be killed
outright; its messages still end with "exited"; running() lists exactly the jobs not yet exited."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from archive_db.agents_repo import AgentRepo
from benchmarks.task import load_suite
from dgm.config import RunConfig
from dgm.executor import EXITED, KILL_GRACE_S, Executor, LocalExecutor, Message
from dgm.jobs import Channel, EvaluateJob, JobContext
from tests.dgm.conftest import NODE_MARK, NODE_SECRET, job_runners

pytestmark = pytest.mark.docker

# An agent that never ends on its own: the job is inside its container's wait when it is stopped.
SLEEPER = "import time\ntime.sleep(600)\n"
# An agent that does nothing: the job ends at once with an empty patch (never graded).
IDLER = "pass\n"


@pytest.fixture(params=["local", "ray"])
def executor_kind(request) -> str:
    if request.param == "ray":
        request.getfixturevalue("ray_driver")  # the cluster, joined by this process
    return request.param


def _wait_for(predicate, timeout_s: float):
    # Polls a condition with a deadline: synchronisation on the state itself, not on a guess of time.
    deadline = time.monotonic() + timeout_s
    while not (value := predicate()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
    return value


def _job(tmp_path: Path, sandbox_config, case: str, kind: str, agent: str = SLEEPER,
         secret_env: tuple[str, ...] = ()) -> tuple[Executor, EvaluateJob]:
    config = RunConfig(run_dir=tmp_path / "run", sandbox=sandbox_config)
    (config.run_dir / "work").mkdir(parents=True)
    repo = AgentRepo(config.run_dir / "agents.git")
    code = tmp_path / "agent"
    code.mkdir()
    (code / "coding_agent.py").write_text(agent)
    commit = repo.commit_tree(code, None, "a sleeper")
    socket_dir = tmp_path / "no-gateway"  # the sleeper never calls the model
    socket_dir.mkdir()
    context = JobContext(config.model_dump_json(), str(repo.path), str(config.run_dir / "work"),
                         labels={"dgm.test": "1", "dgm.case": case})
    job = EvaluateJob(agent_id=2, commit=commit, task=load_suite("builtin")[0], stage=1, canary=False,
                      channel=Channel(str(socket_dir), "m"))
    if kind == "ray":
        from dgm.ray_executor import RayExecutor

        return RayExecutor(context, tmp_path / "logs", secret_env=secret_env), job
    return LocalExecutor(context, tmp_path / "logs", secret_env=secret_env), job


def _until_exited(executor: Executor, timeout_s: float) -> list[Message]:
    messages: list[Message] = []
    _wait_for(lambda: messages.extend(executor.messages(0.1)) or any(m.body["type"] == EXITED for m in messages), timeout_s)
    return messages


def test_a_jobs_messages_arrive_in_order_and_end_with_exited(executor_kind, docker_client, sandbox_config, tmp_path):
    executor, job = _job(tmp_path, sandbox_config, uuid.uuid4().hex, executor_kind, agent=IDLER)
    executor.submit(job)
    assert executor.running() == [job.job_id]
    messages = _until_exited(executor, 120)
    kinds = [m.body["type"] for m in messages]
    assert kinds == ["progress", "progress", "result", EXITED], kinds
    assert [m.body.get("step") for m in messages[:2]] == ["solving", "solved"]
    result = messages[2].body
    assert (result["agent_id"], result["task_id"], result["empty_patch"], result["resolved"]) == (2, job.task.id, True, False)
    assert messages[-1].body["code"] == 0 and "lost" not in messages[-1].body
    assert executor.running() == []


def test_kill_all_ends_a_job_inside_its_container_and_leaves_no_container(executor_kind, docker_client, sandbox_config, tmp_path):
    case = uuid.uuid4().hex
    executor, job = _job(tmp_path, sandbox_config, case, executor_kind)
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
    messages = _until_exited(executor, 30)
    assert [m.job_id for m in messages] == [job.job_id] * len(messages)
    assert messages[-1].body["type"] == EXITED
    assert "result" not in [m.body["type"] for m in messages]  # a stopped job reports no verdict


def test_kill_stops_one_job_without_waiting_and_a_finished_job_is_never_signalled(executor_kind, docker_client, sandbox_config,
                                                                                  tmp_path):
    case = uuid.uuid4().hex
    executor, job = _job(tmp_path, sandbox_config, case, executor_kind)
    mine = {"label": f"dgm.case={case}"}
    executor.submit(job)
    _wait_for(lambda: docker_client.api.containers(filters={**mine, "status": "running"}), 120)
    executor.kill(job.job_id)  # returns at once; the "exited" message says when the job has ended
    assert _until_exited(executor, 60)[-1].body["type"] == EXITED
    assert executor.running() == [] and docker_client.api.containers(all=True, filters=mine) == []
    executor.kill(job.job_id)  # out of the table before it was reaped: its pid may be another process's now
    executor.kill_all()


def test_a_job_never_sees_the_secret_its_executor_keeps_back(executor_kind, docker_client, sandbox_config, tmp_path, monkeypatch):
    case = uuid.uuid4().hex
    monkeypatch.setenv(NODE_SECRET, "node-secret")  # a local job's environment is this process's
    monkeypatch.setenv("DGM_TEST_CASE", case)
    executor, job = _job(tmp_path, sandbox_config, case, executor_kind, secret_env=(NODE_SECRET,))
    executor.submit(job)
    _wait_for(lambda: docker_client.api.containers(filters={"label": f"dgm.case={case}", "status": "running"}), 120)
    mark = NODE_MARK if executor_kind == "ray" else "DGM_TEST_CASE"
    ours = [env for env in job_runners().values() if env.get(mark) in ("head", "worker", case)]
    executor.kill_all()
    assert ours and all(NODE_SECRET not in env for env in ours)
