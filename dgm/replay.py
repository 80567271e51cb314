"""`dgm replay`: run any agent of a run on any git repository, in the sandbox, in one command."""

from __future__ import annotations

import json
import subprocess
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from archive_db.store import open_run_archive
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


def replay(run_dir: Path, agent_id: int, repo: Path, problem_file: Path, out_dir: Path,
           model_overrides: dict[str, str] | None = None, db_url: str | None = None) -> ReplayResult:
    if not problem_file.is_file():
        raise DgmError(f"problem file not found: {problem_file}")
    archive, _ = open_run_archive(run_dir, db_url)
    try:
        agent = archive.get_agent(agent_id)
        if agent.commit is None:
            raise NotFoundError(f"agent {agent_id} has no code (its attempt {agent.status} before a commit: {agent.reason})")
        run = archive.get_run(agent.run_id)
        config = stored_config(run.config_json, run_dir)
        config = config.model_copy(update={"model": config.model.model_copy(update=model_overrides or {})})
        with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="dgm-replay-") as tmp:
            if config.demo:
                from dgm.demo import demo_config

                config = demo_config(config, stack)
            work = Path(tmp)
            code = AgentRepo(run_dir / "agents.git").export(agent.commit, work / "agent")
            snapshot = snapshot_repo(repo, work / "repo")
            models = ModelClient(config.model, config.api_key(), archive)
            models.check_reachable()
            sandbox = DockerSandbox(docker_client(), config.sandbox, labels={"dgm.run": str(run.id), "dgm.role": "replay"})
            ctx = CallContext(run_id=run.id, agent_id=agent.id, task_id=f"replay:{repo.name}", purpose="replay")
            with Gateway(models, ctx, config.model.agent_model, config.limits) as gw:
                outcome = run_agent(sandbox, config, code, snapshot, problem_file.read_text(), gw.channel, work / "run")
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "patch.diff").write_text(outcome.patch)
        (out_dir / "transcript.json").write_text(json.dumps(outcome.transcript, indent=1))
        (out_dir / "result.json").write_text(json.dumps({"agent": agent_id, "status": outcome.status, "error": outcome.error}))
        return ReplayResult(out_dir / "patch.diff", out_dir / "transcript.json", outcome.status, outcome.error)
    finally:
        archive.close()
