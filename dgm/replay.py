"""`dgm replay`: run any agent of a run on any git repository, in the sandbox, in one command."""

from __future__ import annotations

import itertools
import json
import subprocess
import tempfile
from collections.abc import Callable
from contextlib import ExitStack, closing
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from archive_db.schema import Agent, Run
from archive_db.store import Archive, open_run_archive
from dgm import __version__
from dgm.agent_run import run_agent
from dgm.agents_repo import AgentRepo
from dgm.config import RunConfig
from dgm.errors import DgmError, NotFoundError
from dgm.gateway import Gateway
from dgm.model_client import CallContext, ModelClient
from kernel.git import FOREIGN_REPO_ENV, GitError, git_bytes
from sandbox.container import DockerSandbox
from sandbox.engine import docker_client


@dataclass(frozen=True)
class ReplayResult:
    patch_path: Path
    transcript_path: Path
    status: str
    error: str | None
    changed: bool  # the patch is not empty
    model: str
    base_url: str
    calls: int
    tokens: int
    cost_usd: float


def snapshot_repo(repo: Path, dest: Path) -> Path:
    """The committed tree at HEAD (what `git archive` gives): no untracked files, no .git."""
    if not (repo / ".git").exists():
        raise DgmError(f"{repo} is not a git repository")
    dest.mkdir(parents=True)
    try:  # the user's repository: its hooks, filters and configuration are not run
        archive = git_bytes("archive", "--format=tar", "HEAD", cwd=repo, env=FOREIGN_REPO_ENV)
    except GitError as exc:
        raise DgmError(f"cannot read {repo} at HEAD: {str(exc).strip()[:200]}") from None
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def stored_config(config_json: str, run_dir: Path) -> RunConfig:
    try:
        return RunConfig.model_validate_json(config_json).model_copy(update={"run_dir": run_dir})
    except ValidationError as exc:
        raise DgmError(f"the run's stored config no longer validates: {exc.errors()[0]['msg']}") from None


@dataclass(frozen=True)
class ReplayModel:
    """What the user names for a replay; each given field wins over the run's stored config, the
    demo's scripted model included."""

    base_url: str | None = None
    agent_model: str | None = None
    api_key_env: str | None = None
    tool_mode: str | None = None
    agent_max_tokens: int | None = None

    def overrides(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def replay(run_dir: Path, agent_id: int, repo: Path, problem_file: Path, out_dir: Path,
           model: ReplayModel | None = None, db_url: str | None = None,
           on_call: Callable[[int], None] = lambda calls: None) -> ReplayResult:
    """Run the agent on the repository's HEAD. The source run's archive is only read: the replay's
    model calls go into an archive of its own in `out_dir` (its run names the source run and agent)."""
    if not problem_file.is_file():
        raise DgmError(f"problem file not found: {problem_file}")
    model = model or ReplayModel()
    agent, run, config = _source(run_dir, agent_id, db_url)
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="dgm-replay-") as tmp:
        if config.demo and model.base_url is None:
            from dgm.demo import demo_config

            config = demo_config(config, stack)  # the scripted model, unless the user names a real one
        config = config.model_copy(update={"demo": config.demo and model.base_url is None,
                                           "model": config.model.model_copy(update=model.overrides())})
        work = Path(tmp)
        code = AgentRepo(run_dir / "agents.git").export(agent.commit, work / "agent")
        snapshot = snapshot_repo(repo, work / "repo")
        out_dir.mkdir(parents=True, exist_ok=True)
        record = stack.enter_context(closing(Archive.in_dir(out_dir)))
        replay_run = record.create_run(f"replay of agent {agent.id} of run {run.id} ({run_dir})",
                                       config.model_dump_json(), __version__)
        copy = record.add_agent(run_id=replay_run.id, generation=agent.generation, status="running", commit=agent.commit,
                                reason=f"agent {agent.id} of run {run.id} in {run_dir}")
        models = ModelClient(config.model, config.api_key(), record)
        tries = itertools.count(1)
        models.on_call = lambda ctx: on_call(next(tries))  # each try, failed ones included
        models.check_reachable()
        sandbox = DockerSandbox(docker_client(), config.sandbox, labels={"dgm.run": str(run.id), "dgm.role": "replay"})
        ctx = CallContext(run_id=replay_run.id, agent_id=copy.id, task_id=f"replay:{repo.name}", purpose="replay")
        with Gateway(models, ctx, config.model.agent_model, config.limits) as gw:
            outcome = run_agent(sandbox, config, code, snapshot, problem_file.read_text(), gw.channel, work / "run")
        status = outcome.status
        record.finish_agent(copy.id, status="replayed", reason=status)
        record.set_run_status(replay_run.id, "finished", status)
        calls = record.calls(run_id=replay_run.id)
        (out_dir / "patch.diff").write_text(outcome.patch)
        (out_dir / "transcript.json").write_text(json.dumps(outcome.transcript, indent=1))
        result = {"agent": agent_id, "run": run.id, "status": status, "error": outcome.error, "model": config.model.agent_model,
                  "base_url": config.model.base_url, "agent_result": outcome.result,
                  "model_calls": len(calls), "tokens": record.tokens(replay_run.id),
                  "cost_usd": record.cost(run_id=replay_run.id)}
        (out_dir / "result.json").write_text(json.dumps(result, indent=1))
        return ReplayResult(out_dir / "patch.diff", out_dir / "transcript.json", status, outcome.error,
                            changed=bool(outcome.patch.strip()), model=config.model.agent_model,
                            base_url=config.model.base_url, calls=result["model_calls"],
                            tokens=result["tokens"], cost_usd=result["cost_usd"])


def _source(run_dir: Path, agent_id: int, db_url: str | None) -> tuple[Agent, Run, RunConfig]:
    """The agent, its run and the run's config, read from the source archive, which is then closed."""
    archive, _ = open_run_archive(run_dir, db_url)
    try:
        agent = archive.get_agent(agent_id)
        if agent.commit is None:
            raise NotFoundError(f"agent {agent_id} has no code (its attempt {agent.status} before a commit: {agent.reason})")
        run = archive.get_run(agent.run_id)
        return agent, run, stored_config(run.config_json, run_dir)
    finally:
        archive.close()
