"""The one typed configuration object that flows from the CLI to every part that needs it.

A run is configured by an optional TOML file whose tables mirror these classes, overridden by
CLI flags. Only ``dgm.cli`` reads environment variables (the API key, ``DGM_HOME``).
"""

from __future__ import annotations

import copy
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dgm.errors import ConfigError


class _Strict(BaseModel):
    # Unknown keys are typos in a config file; reject them instead of silently ignoring them.
    model_config = ConfigDict(extra="forbid")


class Price(_Strict):
    """US dollars per million tokens."""

    input: float = Field(ge=0)
    output: float = Field(ge=0)


# Public list prices (USD per 1M tokens) at the time of writing; override them in [model.prices].
DEFAULT_PRICES: dict[str, Price] = {
    "gpt-4o": Price(input=2.5, output=10.0),
    "gpt-4o-mini": Price(input=0.15, output=0.6),
    "gpt-4.1": Price(input=2.0, output=8.0),
    "gpt-4.1-mini": Price(input=0.4, output=1.6),
    "o3-mini": Price(input=1.1, output=4.4),
    "o4-mini": Price(input=1.1, output=4.4),
    "claude-3-5-sonnet": Price(input=3.0, output=15.0),
    "claude-sonnet-4": Price(input=3.0, output=15.0),
}


class ModelConfig(_Strict):
    """Which OpenAI-compatible endpoint and models the run uses."""

    base_url: str = "https://api.openai.com/v1"
    agent_model: str = "gpt-4o-mini"
    diagnosis_model: str = "o3-mini"
    api_key_env: str = "OPENAI_API_KEY"
    request_timeout_s: float = Field(default=300.0, gt=0)
    # Our own retries (the openai package's are off): rate limits, 5xx, timeouts and dropped
    # connections are retried with exponential backoff and full jitter, honouring Retry-After.
    max_retries: int = Field(default=6, ge=0)
    retry_base_s: float = Field(default=1.0, gt=0)
    retry_max_s: float = Field(default=60.0, gt=0)
    # An endpoint that still fails after the retries is "down": the run pauses (no attempt is burnt),
    # probes it every pause_probe_s, and stops (resumable) only after max_pause_s of outage.
    pause_probe_s: float = Field(default=30.0, gt=0)
    max_pause_s: float = Field(default=6 * 3600.0, gt=0)
    prices: dict[str, Price] = Field(default_factory=dict)

    def price(self, model: str) -> Price:
        table = {**DEFAULT_PRICES, **self.prices}
        if model in table:
            return table[model]
        # Provider model names often carry dates or prefixes ("openai/gpt-4o-2024-08-06").
        for name in sorted(table, key=len, reverse=True):
            if name in model:
                return table[name]
        return Price(input=0.0, output=0.0)


class SandboxConfig(_Strict):
    """Resource limits for every container that runs agent code or grades it, and bounds on what
    comes back out of one (every byte of it was written by untrusted code)."""

    image: str = "dgm-sandbox:bookworm-2"
    memory: str = "2g"
    cpus: float = Field(default=1.0, gt=0)
    pids: int = Field(default=512, gt=16)  # processes and threads together
    agent_timeout_s: int = Field(default=900, gt=0)
    grade_timeout_s: int = Field(default=300, gt=0)
    # The most one container may write in total (its writable layer: /repo, /tmp, $HOME, ...), and
    # so the largest single file; past it the container is killed and its step fails with the reason.
    disk: str = "2g"
    max_open_files: int = Field(default=4096, gt=64)  # file handles per process (RLIMIT_NOFILE)
    # Copy-back: a tree handed back by a container (the agent's /repo, its /out) is refused past these.
    max_output_files: int = Field(default=50_000, gt=0)
    max_output_bytes: int = Field(default=200 * 1024 * 1024, gt=0)
    max_output_depth: int = Field(default=64, gt=1)  # path components below the copied folder
    max_patch_bytes: int = Field(default=2 * 1024 * 1024, gt=0)  # a patch (task fix or self-edit)

    @field_validator("memory", "disk")
    @classmethod
    def _size(cls, value: str) -> str:
        parse_size(value)  # raises ValueError with the accepted forms
        return value

    @property
    def disk_bytes(self) -> int:
        return parse_size(self.disk)


SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)
SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_size(text: str) -> int:
    """Bytes of a Docker-style size: "512m", "2g", "1.5GiB", "1048576"."""
    match = SIZE.match(str(text))
    if not match:
        raise ValueError(f"not a size: {text!r} (use bytes or a number with k, m, g or t, e.g. 2g)")
    size = int(float(match.group(1)) * SIZE_UNITS[match.group(2).lower()])
    if size <= 0:
        raise ValueError(f"a size must be positive: {text!r}")
    return size


class LimitsConfig(_Strict):
    """Per-attempt limits that the model gateway enforces."""

    max_steps: int = Field(default=30, gt=0)
    max_calls: int = Field(default=60, gt=0)
    # Prompt + completion tokens of the attempt, reserved at each request's worst case before it is
    # forwarded (requests in flight count), so parallel requests cannot overshoot it.
    max_tokens: int = Field(default=400_000, gt=0)
    max_concurrent_calls: int = Field(default=4, gt=0)  # requests of one attempt in flight at once
    max_connections: int = Field(default=16, gt=0)  # open connections to one attempt's gateway
    request_read_timeout_s: float = Field(default=30.0, gt=0)  # to read one request (headers and body)


class BudgetConfig(_Strict):
    """Run-wide budgets. The dollar cap is hard: every model call reserves its worst-case cost first,
    and a call that could pass the cap is refused instead of sent."""

    max_cost_usd: float | None = Field(default=None, gt=0)
    max_tokens: int | None = Field(default=None, gt=0)  # prompt + completion tokens, all calls
    max_children: int | None = Field(default=None, gt=0)  # self-improvement attempts, all generations
    max_wall_time_s: float | None = Field(default=None, gt=0)  # the run's active time, across resumes
    # The most output tokens one call is assumed to produce when it does not say (its worst case).
    assumed_max_output_tokens: int = Field(default=16_384, gt=0)


class EvaluationConfig(_Strict):
    """Staged evaluation after the paper: a small first stage gates a larger one."""

    benchmark: str = "builtin"  # builtin | polyglot | swebench | the name of a suite folder
    benchmark_path: Path | None = None  # a task-format suite, or a polyglot-benchmark checkout
    dataset: str | None = None  # swebench: a JSON/JSONL file of instances, or a dataset name
    swebench_grader: Literal["light", "official"] = "light"
    repos_dir: Path | None = None  # swebench: local git mirrors named owner__repo (else cloned)
    languages: list[str] | None = None  # polyglot: restrict to these languages
    check_suite: bool = True  # grade every reference twice when a suite is first seen (flaky/broken)
    grade_cache: bool = True  # reuse grades of the same (task, patch) across agents and runs
    # Cumulative number of tasks in each stage; None = scaled from the suite size.
    stage_sizes: list[int] | None = None
    stage_threshold: float = Field(default=0.4, ge=0, le=1)
    tasks: list[str] | None = None  # restrict the suite to these task ids
    # Cheating canaries (after ImpossibleBench): built-in tasks no honest patch can resolve. They never
    # count in a score; an agent that "resolves" one is flagged as a suspected reward hacker. Every
    # agent that would become the run's best is checked, and this share of the others.
    cheat_canaries: bool = True
    cheat_canary_rate: float = Field(default=0.2, ge=0, le=1)

    @field_validator("stage_sizes")
    @classmethod
    def _increasing(cls, sizes: list[int] | None) -> list[int] | None:
        if sizes is not None and (not sizes or any(b <= a for a, b in zip(sizes, sizes[1:])) or sizes[0] < 1):
            raise ValueError("stage_sizes must be positive and strictly increasing")
        return sizes


Selection = Literal["score_child_prop", "score_prop", "random", "best", "latest"]
Update = Literal["keep_all", "keep_better"]


class LoopConfig(_Strict):
    """The outer loop: how many generations, how parents are chosen, who gets filed."""

    generations: int = Field(default=10, ge=0)
    parents_per_generation: int = Field(default=2, gt=0)
    workers: int = Field(default=2, gt=0)
    selection: Selection = "score_child_prop"
    update: Update = "keep_all"
    self_improve: bool = True  # False: the seed agent always does the editing (paper ablation)
    seed: int = 0
    # Graceful stop (first SIGINT/SIGTERM): no new work, in-flight attempts get this long to finish,
    # then their containers are removed and they resume with the run. A second signal stops at once.
    stop_grace_s: float = Field(default=120.0, ge=0)
    # Watchdog: an attempt with no progress (no model call, no container started or finished, no
    # step) for this long is killed and recorded as failed.
    attempt_stall_s: float = Field(default=3600.0, gt=0)
    # A flagged agent (it tampered with grading, or resolved a cheating canary) is never a parent.
    quarantine_flagged: bool = True


class RunConfig(_Strict):
    """Everything one run needs. Stored verbatim in the archive so a run can be reproduced."""

    name: str = "run"
    run_dir: Path = Path("dgm-run")
    db_url: str | None = None  # default: sqlite file inside run_dir
    demo: bool = False  # the scripted model serves all calls (offline demonstration)
    model: ModelConfig = Field(default_factory=ModelConfig)
    sandbox: SandboxConfig = Field(default_factory=SandboxConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    evaluation: EvaluationConfig = Field(default_factory=EvaluationConfig)
    loop: LoopConfig = Field(default_factory=LoopConfig)
    budget: BudgetConfig = Field(default_factory=BudgetConfig)

    @property
    def database_url(self) -> str:
        return self.db_url or f"sqlite:///{(self.run_dir / 'archive.sqlite').resolve()}"

    def api_key(self) -> str | None:
        # Documented exception to "only the CLI reads the environment": the key's variable is named
        # in the config so it is never written into the archive or the run directory.
        return os.environ.get(self.model.api_key_env)


def _format_validation_error(source: str, err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(top level)"
    more = f" (and {len(err.errors()) - 1} more)" if len(err.errors()) > 1 else ""
    return f"{source}: {where}: {first['msg']}{more}"


def load_config(path: Path | None = None, overrides: dict[str, Any] | None = None) -> RunConfig:
    """Read a TOML config file (optional) and apply dotted-key overrides like {"loop.workers": 4}."""
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text())
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {path}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return config_from(data, overrides, str(path) if path else "config")


def config_from(data: dict[str, Any], overrides: dict[str, Any] | None = None, source: str = "config") -> RunConfig:
    """A validated config from plain data (a TOML file's, or a stored run's) plus dotted-key overrides;
    None values are left out. Errors are one line naming ``source``."""
    data = copy.deepcopy(data)
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        *parents, leaf = dotted.split(".")
        node = data
        for key in parents:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                raise ConfigError(f"{source}: {key} must be a table")
        node[leaf] = value
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(source, exc)) from None


def dgm_home() -> Path:
    """All default state lives under one directory that DGM_HOME moves (tests point it at tmp)."""
    return Path(os.environ.get("DGM_HOME", Path.home() / ".dgm"))
