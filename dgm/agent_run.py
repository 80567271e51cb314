"""Running an agent (any version of the evolving code) on a repository inside the sandbox.

The agent's code goes to /agent, the repository to /repo (freshly git-initialised inside the
container so the agent may use git), the problem to /task/problem.md; the agent writes its
transcript to /out. Its model channel is the gateway socket. Afterwards the host diffs the
returned /repo against what went in: that diff, not the agent's word, is the patch.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dgm.config import RunConfig
from kernel.patches import PatchTooLarge, diff_trees
from sandbox.container import DockerSandbox, Mount, RunResult
from sandbox.tario import remove_tree, scratch_dir

MAX_TRANSCRIPT_BYTES = 20 * 1024 * 1024
STATUS_CHARS = 40  # evaluations.agent_status
COUNT_KEYS, MAX_COUNT = 16, 1_000_000
COUNT_NAME = re.compile(r"[a-z_]{1,32}")
# Where the agent finds its model: the gateway's socket, in a folder mounted read-only.
SOCKET_DIR_IN_CONTAINER = "/run/dgm"
SOCKET_NAME = "model.sock"


@dataclass(frozen=True)
class ModelChannel:
    """An agent's road to a model: a gateway's socket folder on the host (dgm/gateway.py serves it,
    with the key; the container gets only the socket) and the model it answers with."""

    socket_dir: str
    model: str

    def mount(self) -> Mount:
        return Mount(host=Path(self.socket_dir), target=SOCKET_DIR_IN_CONTAINER, read_only=True)

    def env(self) -> dict[str, str]:
        return {"DGM_MODEL_SOCKET": f"{SOCKET_DIR_IN_CONTAINER}/{SOCKET_NAME}", "DGM_MODEL": self.model}

PRELUDE = (
    "cd /repo && git init -q && git add -A && "
    "git -c user.name=dgm -c user.email=dgm@localhost commit -q --allow-empty -m 'original' && "
)


@dataclass
class AgentOutcome:
    patch: str
    transcript: list[dict[str, Any]]
    result: dict[str, Any]  # the agent's own result.json (informational only)
    run: RunResult
    repo_after: Path | None  # the returned tree, valid only inside the `with` of run_agent's caller
    # Why there is no patch although the tree changed (it is past sandbox.max_patch_bytes): such a
    # patch is never graded or committed.
    patch_error: str | None = None

    @property
    def status(self) -> str:
        if self.run.timed_out:
            return "timeout"
        status = str(self.result.get("status") or ("crashed" if self.run.exit_code else "unknown"))
        return "".join(c for c in status if c.isprintable())[:STATUS_CHARS]  # the agent wrote it: hostile

    @property
    def counts(self) -> dict[str, Any] | None:
        """What result.json says beyond the status (docs/AGENT_CONTRACT.md): the tool-call formats the
        agent read (or rejected) and how often, its nudges and repeated calls. Hostile input: only
        short names and non-negative integers are kept, at most COUNT_KEYS formats."""
        formats = self.result.get("formats")
        kept: dict[str, Any] = {}
        if isinstance(formats, dict):
            kept["formats"] = {k: _count(v) for k, v in list(formats.items())[:COUNT_KEYS]
                               if isinstance(k, str) and COUNT_NAME.fullmatch(k) and _count(v) is not None}
        for key in ("nudges", "repeated_calls"):
            if _count(self.result.get(key)) is not None:
                kept[key] = _count(self.result.get(key))
        return kept or None

    @property
    def error(self) -> str | None:
        if self.run.timed_out:
            return f"agent timed out after {self.run.duration_s:.0f} s"
        if self.run.error:
            return self.run.error
        if self.run.exit_code not in (0, None):
            tail = self.run.output.strip().splitlines()[-1:] or ["no output"]
            return f"agent exited with {self.run.exit_code}: {tail[0][:300]}"
        return None


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return min(value, MAX_COUNT)


def _read_json(path: Path, default: Any) -> Any:
    # Untrusted output: size-capped, and anything malformed is simply absent.
    try:
        if path.stat().st_size > MAX_TRANSCRIPT_BYTES:
            return default
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return default


def agent_command(max_steps: int) -> list[str]:
    run = "python3 /agent/coding_agent.py --problem-file /task/problem.md --repo /repo --outdir /out"
    return ["bash", "-c", PRELUDE + f"exec {run} --max-steps {shlex.quote(str(max_steps))}"]


def agent_settings(config: RunConfig) -> dict[str, str]:
    """What the agent's model settings are, as environment variables: an agent that predates one
    ignores it, where an unknown command-line option would stop it (docs/AGENT_CONTRACT.md)."""
    return {"DGM_TOOL_MODE": config.model.tool_mode, "DGM_MODEL_MAX_TOKENS": str(config.model.agent_max_tokens)}


def run_agent(
    sandbox: DockerSandbox,
    config: RunConfig,
    agent_dir: Path,
    repo_dir: Path,
    problem: str,
    channel: ModelChannel,
    work_dir: Path,
    labels: dict[str, str] | None = None,
    image: str | None = None,
) -> AgentOutcome:
    """Run the agent in ``agent_dir`` on a copy of ``repo_dir``; ``work_dir`` receives its outputs."""
    task_dir, out_dir, repo_after = work_dir / "task", work_dir / "out", work_dir / "repo_after"
    for stale in (out_dir, repo_after):  # a repeated run must not merge into an earlier one's tree
        remove_tree(stale)
    task_dir.mkdir(parents=True, exist_ok=True)
    (task_dir / "problem.md").write_text(problem)
    with scratch_dir("dgm-empty-") as empty:
        run = sandbox.run(
            agent_command(config.limits.max_steps),
            inputs={"/agent": agent_dir, "/repo": repo_dir, "/task": task_dir, "/out": empty},
            outputs={"/repo": repo_after, "/out": out_dir},
            mounts=[channel.mount()],
            env={**channel.env(), **agent_settings(config)},
            timeout_s=config.sandbox.agent_timeout_s,
            labels={"dgm.role": "agent", **(labels or {})},
            image=image,
        )
    patch, patch_error = _patch(repo_dir, repo_after, config.sandbox.max_patch_bytes)
    transcript = _read_json(out_dir / "transcript.json", [])
    result = _read_json(out_dir / "result.json", {})
    return AgentOutcome(
        patch=patch,
        transcript=transcript if isinstance(transcript, list) else [],
        result=result if isinstance(result, dict) else {},
        run=run,
        repo_after=repo_after if repo_after.is_dir() else None,
        patch_error=patch_error,
    )


def _patch(before: Path, after: Path, max_bytes: int) -> tuple[str, str | None]:
    """(patch, why there is none): a tree the sandbox refused or cut off is not there at all."""
    if not after.is_dir():
        return "", None
    try:
        return diff_trees(before, after, max_bytes), None
    except PatchTooLarge as exc:
        return "", str(exc)
