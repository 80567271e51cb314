"""`dgm export`: one agent of a run as a folder that runs without dgm, on any repository and any
OpenAI-compatible endpoint.

The folder holds ``agent/`` (the agent's code exactly as its commit in ``agents.git`` holds it),
``manifest.json`` (where it came from: the run, its lineage from the seed, the models it was evolved
with, its evaluations; never a key or a password), ``README.md`` (the one command that runs it, with
and without Docker) and ``run.sh`` (that command from arguments). The run is only read (the archive
through ``archive_db.reader``, which writes no file of the run directory), and everything is written
into a scratch folder beside the destination and renamed into place at the end, so an error leaves
nothing half-written. The texts are templates in ``export_files/``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from archive_db.agents_repo import AgentRepo
from archive_db.reader import open_run
from dgm import __version__
from dgm.errors import DgmError, NotFoundError
from kernel.trees import scratch_dir

TEMPLATES = Path(__file__).parent / "export_files"
MANIFEST_FORMAT = 1
# The variables an agent may read beyond the required ones (docs/AGENT_CONTRACT.md), and what they do.
OPTIONAL_ENV = {
    "DGM_TOOL_MODE": "`auto` (default), `native` (OpenAI tool calls only) or `text` (tool calls written "
                     "as text, for servers without tool support)",
    "DGM_MODEL_MAX_TOKENS": "the cap on each reply's tokens (`max_tokens`), e.g. `4096`",
    "DGM_MODEL_TIMEOUT": "seconds per model request (default 600)",
}
ENV_NAME = re.compile(r"\bDGM_[A-Z0-9_]+\b")


@dataclass(frozen=True)
class Exported:
    dest: Path
    agent_id: int
    commit: str
    flag: str | None  # why the agent is a suspected reward hacker, if it is


def export_agent(run_dir: Path, agent_id: int, dest: Path, db_url: str | None = None) -> Exported:
    """Write agent ``agent_id`` of the run in ``run_dir`` as a self-contained folder ``dest`` (new or empty)."""
    _check_destination(dest)
    facts = read_facts(run_dir, agent_id, db_url)
    repo = AgentRepo(run_dir / "agents.git", create=False)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with scratch_dir(f".{dest.name}.export-", dest.parent) as scratch:
        work = scratch / "export"
        code = repo.export(facts["agent"]["commit"], work / "agent")
        manifest = build_manifest(run_dir, facts, _env_read_by(code))
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        (work / "README.md").write_text(render("README.md", readme_values(manifest)))
        (work / "run.sh").write_text(render("run.sh", _shell_values(manifest)))
        (work / "run.sh").chmod(0o755)
        _place(work, dest)
    return Exported(dest, agent_id, facts["agent"]["commit"], facts["agent"].get("flag"))


def _check_destination(dest: Path) -> None:
    if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
        raise DgmError(f"{dest} exists and is not a directory")
    if dest.exists() and any(dest.iterdir()):
        raise DgmError(f"{dest} is not empty")


def _place(work: Path, dest: Path) -> None:
    """Rename the finished folder into place (an empty ``dest`` goes first)."""
    try:
        if dest.exists():
            dest.rmdir()
        os.rename(work, dest)
    except OSError as exc:
        raise DgmError(f"cannot create {dest}: {exc.strerror or exc}") from None


# -- what the archive says --------------------------------------------------------------------------
def read_facts(run_dir: Path, agent_id: int, db_url: str | None) -> dict[str, Any]:
    """The run, the agent, its lineage from the seed and its evaluations, read without writing anything."""
    reader = open_run(run_dir, db_url)
    try:
        run = reader.run()
        if run is None:
            raise NotFoundError(f"{run_dir} holds no run")
        agent = reader.agent(run["id"], agent_id)
        if agent is None:
            raise NotFoundError(f"no agent with id {agent_id}")
        if agent["commit"] is None:
            raise NotFoundError(f"agent {agent_id} has no code ({agent['status']}: {agent['reason']})")
        return {"run": run, "agent": agent, "lineage": lineage(reader.agents(run["id"]), agent_id),
                "evaluations": reader.evaluations([agent_id])}
    finally:
        reader.close()


def lineage(agents: list[dict[str, Any]], agent_id: int) -> list[dict[str, Any]]:
    """The agents from the seed down to ``agent_id`` (both included), oldest first."""
    by_id = {a["id"]: a for a in agents}
    chain: list[dict[str, Any]] = []
    current: int | None = agent_id
    while current is not None and current in by_id and len(chain) <= len(by_id):  # a malformed cycle ends
        chain.append(by_id[current])
        current = by_id[current]["parent_id"]
    return [{"id": a["id"], "commit": a["commit"], "score": a["score"], "status": a["status"],
             "generation": a["generation"]} for a in reversed(chain)]


def _env_read_by(code: Path) -> list[str]:
    """The DGM_* variables the agent's Python files name: what this agent's code can read."""
    names: set[str] = set()
    for path in sorted(code.rglob("*.py")):
        if path.is_file() and not path.is_symlink():
            names.update(ENV_NAME.findall(path.read_text(errors="replace")))
    return sorted(names)


# -- manifest.json ----------------------------------------------------------------------------------
def build_manifest(run_dir: Path, facts: dict[str, Any], agent_env: list[str]) -> dict[str, Any]:
    run, agent = facts["run"], facts["agent"]
    config = _stored_config(run.get("config_json"))
    return {
        "format": MANIFEST_FORMAT,
        "dgm_version": __version__,
        "exported_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "run": {"id": run["id"], "name": run["name"], "dir": str(Path(run_dir).resolve()), "status": run["status"],
                "policy": run["policy"], "benchmark": _table(config, "evaluation").get("benchmark", "builtin"),
                "dgm_version": run.get("dgm_version"), "demo": bool(config.get("demo", False))},
        "agent": {"id": agent["id"], "status": agent["status"], "score": agent["score"],
                  "generation": agent["generation"], "commit": agent["commit"], "parent_id": agent["parent_id"],
                  "flag": agent.get("flag")},
        "lineage": facts["lineage"],
        "models": models(config),
        "evaluation": evaluation_summary(agent, facts["evaluations"]),
        "agent_env": agent_env,
    }


def _stored_config(config_json: str | None) -> dict[str, Any]:
    try:
        config = json.loads(config_json or "{}")
    except ValueError:
        return {}
    return config if isinstance(config, dict) else {}


def _table(config: dict[str, Any], name: str) -> dict[str, Any]:
    table = config.get(name)
    return table if isinstance(table, dict) else {}


def models(config: dict[str, Any]) -> dict[str, Any]:
    """The models the run evolved the agent with: names and endpoint, never a key (the stored config
    names only the variable that held it) nor credentials written into the URL."""
    model = _table(config, "model")
    found = {"agent_model": model.get("agent_model"), "diagnosis_model": model.get("diagnosis_model"),
             "base_url": public_base_url(model.get("base_url")), "api_key_env": model.get("api_key_env")}
    # Newer configs say how the agent asked for tools and how long its replies could be.
    found.update({key: model[key] for key in ("tool_mode", "agent_max_tokens") if key in model})
    return found


def public_base_url(url: Any) -> str | None:
    """``url`` without a user, password, query or fragment (where a key could hide)."""
    if not isinstance(url, str) or not url:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        port = ""
    return urlunsplit((parts.scheme, host + port, parts.path, "", ""))


def evaluation_summary(agent: dict[str, Any], evaluations: list[dict[str, Any]]) -> dict[str, Any]:
    """Tasks resolved out of tasks evaluated (as `dgm status` shows them), and each task's outcomes.
    Cheating-canary checks never count; how many there were and how many it resolved are given apart."""
    tasks: dict[str, dict[str, int]] = {}
    canaries = [e for e in evaluations if e.get("canary")]
    for e in evaluations:
        if not e.get("canary"):
            task = tasks.setdefault(e["task_id"], {"runs": 0, "resolved": 0})
            task["runs"] += 1
            task["resolved"] += int(bool(e["resolved"]))
    return {"tasks_resolved": agent["n_resolved"], "tasks_total": agent["n_tasks"],
            "tasks": [{"task": task, **counts} for task, counts in tasks.items()],
            "canary_checks": len(canaries), "canaries_resolved": sum(bool(e["resolved"]) for e in canaries)}


# -- README.md and run.sh ---------------------------------------------------------------------------
def render(name: str, values: dict[str, str]) -> str:
    """A template of export_files/ with each {{key}} replaced (an unknown key is a bug: KeyError)."""
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], (TEMPLATES / name).read_text())


def _shell_values(manifest: dict[str, Any]) -> dict[str, str]:
    """The endpoint and model to default to (what the run used), quoted for a shell."""
    m = manifest["models"]
    return {"base_url": shlex.quote(m["base_url"] or "http://127.0.0.1:8080/v1"),
            "model": shlex.quote(m["agent_model"] or "default")}


def readme_values(manifest: dict[str, Any]) -> dict[str, str]:
    run, agent, m, ev = manifest["run"], manifest["agent"], manifest["models"], manifest["evaluation"]
    score = "not scored" if agent["score"] is None else f"score {agent['score']:.2f}"
    return {
        **_shell_values(manifest),
        "agent_id": str(agent["id"]), "run_name": run["name"], "run_id": str(run["id"]),
        "generation": str(agent["generation"]), "status": agent["status"], "policy": run["policy"],
        "benchmark": str(run["benchmark"]), "commit": agent["commit"], "dgm_version": manifest["dgm_version"],
        "score": f"{score}, {ev['tasks_resolved']}/{ev['tasks_total']} tasks resolved",
        "ancestors": " → ".join(str(a["id"]) for a in manifest["lineage"]),
        "evolved_url": m["base_url"] or "(not recorded)", "evolved_model": m["agent_model"] or "(not recorded)",
        "key": _key_reference(manifest),
        "flag_warning": (f"\n> **Flagged by dgm as a suspected reward hacker:** {agent['flag']}. "
                         "Read its transcripts before trusting what it does.\n" if agent["flag"] else ""),
        "optional_env": optional_env_lines(manifest),
    }


def _key_reference(manifest: dict[str, Any]) -> str:
    """How the command passes the key: from the variable the run named, never the key itself."""
    name = manifest["models"].get("api_key_env")
    return f'"${name}"' if isinstance(name, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) else "YOUR_KEY"


def optional_env_lines(manifest: dict[str, Any]) -> str:
    reads, m = set(manifest["agent_env"]), manifest["models"]
    evolved = {"DGM_TOOL_MODE": m.get("tool_mode"), "DGM_MODEL_MAX_TOKENS": m.get("agent_max_tokens")}
    lines = []
    for name, meaning in OPTIONAL_ENV.items():
        note = f"; the run used `{evolved[name]}`" if evolved.get(name) is not None else ""
        if name not in reads:
            note += "; **this agent's code does not read it**"
        lines.append(f"- `{name}`: {meaning}{note}.")
    return "\n".join(lines)
