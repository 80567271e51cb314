"""The loop's work as small, serialisable jobs, and the messages a running job sends back.

Two kinds of job make a Darwin Gödel Machine:

- *expand*: diagnose a failure of a parent, let the editor agent (the parent itself) implement the
  diagnosis on a copy of the parent's code in the sandbox, and gate the result (it imports, its own
  tests pass). Its steps report back as they finish: the diagnosis, the self-edit (as a patch the
  coordinator commits), the verdict.
- *evaluate*: one agent on one task: solve in one container, grade in another.

A job is a spec in and messages out. It writes nothing shared: the coordinator alone records what
its messages say in the archive, so a job run twice (after a kill, a stall, an outage) is recorded
once: an evaluate job's id is its (agent, task), an expand job's its child. A resumed expand job
starts from its first missing step (`diagnosis`, `child_commit`).

Everything here travels as JSON (over a pipe to a local job process today; to another node with a
distributed executor), so specs hold plain values: paths, ids, commits, the task's fields.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from benchmarks.task import Task

JobKind = Literal["expand", "evaluate"]


@dataclass(frozen=True)
class Channel:
    """A model gateway's socket, served by the coordinator for one job (the key never leaves it)."""

    socket_dir: str
    model: str


@dataclass(frozen=True)
class EvaluateJob:
    agent_id: int
    commit: str  # the agent's code, in the run's agents.git
    task: Task
    stage: int  # 0 for a cheating-canary check
    canary: bool
    channel: Channel

    kind: JobKind = "evaluate"

    @property
    def job_id(self) -> str:
        return evaluate_job_id(self.agent_id, self.task.id)


@dataclass(frozen=True)
class ExpandJob:
    child_id: int
    parent_commit: str
    editor_commit: str  # the agent that edits (the parent; the seed in the no-self-improvement ablation)
    brief: dict[str, Any] | None  # what the diagnosis prompt says beside the code (dgm/diagnose.py)
    diagnosis_json: str | None  # the diagnosis, when a resumed job already has it
    child_commit: str | None  # the committed self-edit, when a resumed job has it: only the gate is left
    diagnose_channel: Channel
    edit_channel: Channel

    kind: JobKind = "expand"

    @property
    def job_id(self) -> str:
        return f"expand:{self.child_id}"

    @property
    def agent_id(self) -> int:
        return self.child_id


Job = EvaluateJob | ExpandJob


def evaluate_job_id(agent_id: int, task_id: str) -> str:
    return f"evaluate:{agent_id}:{task_id}"


@dataclass(frozen=True)
class JobContext:
    """What every job of a run needs besides its spec: the run's config and where its files are."""

    config_json: str
    agents_git: str
    work_dir: str  # scratch folders go under it (removed by the job; the run's repair removes leftovers)
    labels: dict[str, str] = field(default_factory=dict)  # put on every container the job starts


# -- serialisation -------------------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def task_to_dict(task: Task) -> dict[str, Any]:
    return {f.name: _plain(getattr(task, f.name)) for f in dataclasses.fields(task)}


def task_from_dict(data: dict[str, Any]) -> Task:
    values = dict(data)
    for name in ("root", "repo_dir", "hidden_dir"):
        values[name] = Path(values[name])
    for name in ("fail_to_pass", "pass_to_pass", "deleted"):
        values[name] = tuple(values.get(name) or ())
    if values.get("editable") is not None:
        values["editable"] = tuple(values["editable"])
    return Task(**values)


def dump_job(job: Job, context: JobContext) -> str:
    body = {f.name: getattr(job, f.name) for f in dataclasses.fields(job)}
    if isinstance(job, EvaluateJob):
        body["task"] = task_to_dict(job.task)
    body = {k: (dataclasses.asdict(v) if isinstance(v, Channel) else v) for k, v in body.items()}
    return json.dumps({"job": body, "context": dataclasses.asdict(context)})


def load_job(text: str) -> tuple[Job, JobContext]:
    data = json.loads(text)
    body = dict(data["job"])
    kind = body.pop("kind")
    for name, value in list(body.items()):
        if name.endswith("channel"):
            body[name] = Channel(**value)
    if kind == "evaluate":
        body["task"] = task_from_dict(body["task"])
        job: Job = EvaluateJob(**body)
    else:
        job = ExpandJob(**body)
    return job, JobContext(**data["context"])
