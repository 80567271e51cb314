"""The one typed configuration object that flows from the CLI to every part that needs it.

A run is configured by an optional TOML file whose tables mirror these classes, overridden by
CLI flags. Only ``dgm.cli`` reads environment variables (the API key, ``DGM_HOME``).
"""

from __future__ import annotations

import copy
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_serializer, field_validator

from archive_db.location import locate, public_url
from benchmarks.config import EvaluationConfig
from kernel.config import Strict, dgm_home, parse_size
from kernel.errors import ConfigError, DgmError
from sandbox.config import SandboxConfig

# The tables of the lower packages live with them; they are composed (and importable) here, so code
# and TOML files that use dgm.config keep working unchanged.
__all__ = ["BudgetConfig", "EvaluationConfig", "LimitsConfig", "LoopConfig", "ModelConfig", "Price", "RunConfig",
           "SandboxConfig", "config_from", "dgm_home", "load_config", "parse_size"]


class Price(Strict):
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


class ModelConfig(Strict):
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
    # The context window of the models, in tokens: the diagnosis prompt is cut to fit it. None: asked
    # of the server when the run starts (llama.cpp, vLLM and LM Studio say), else CONTEXT_TOKENS_ASSUMED
    # (dgm/context_window.py).
    context_tokens: int | None = Field(default=None, ge=1024)
    # Each agent call's output cap (sent as max_tokens): a small model on a CPU that runs on for
    # thousands of tokens costs minutes per reply.
    agent_max_tokens: int = Field(default=4096, gt=0)
    # How the agent asks for tools: native tool calls, text calls in its replies, or native falling
    # back to text when the server refuses tools or the model writes calls as text.
    tool_mode: Literal["auto", "native", "text"] = "auto"

    def price(self, model: str) -> Price:
        table = {**DEFAULT_PRICES, **self.prices}
        if model in table:
            return table[model]
        # Provider model names often carry dates or prefixes ("openai/gpt-4o-2024-08-06").
        for name in sorted(table, key=len, reverse=True):
            if name in model:
                return table[name]
        return Price(input=0.0, output=0.0)


class LimitsConfig(Strict):
    """Per-attempt limits that the model gateway enforces."""

    max_steps: int = Field(default=30, gt=0)
    max_calls: int = Field(default=60, gt=0)
    # Prompt + completion tokens of the attempt, reserved at each request's worst case before it is
    # forwarded (requests in flight count), so parallel requests cannot overshoot it.
    max_tokens: int = Field(default=400_000, gt=0)
    max_concurrent_calls: int = Field(default=4, gt=0)  # requests of one attempt in flight at once
    max_connections: int = Field(default=16, gt=0)  # open connections to one attempt's gateway
    request_read_timeout_s: float = Field(default=30.0, gt=0)  # to read one request (headers and body)


class BudgetConfig(Strict):
    """Run-wide budgets. The dollar cap is hard: every model call reserves its worst-case cost first,
    and a call that could pass the cap is refused instead of sent."""

    max_cost_usd: float | None = Field(default=None, gt=0)
    max_tokens: int | None = Field(default=None, gt=0)  # prompt + completion tokens, all calls
    max_children: int | None = Field(default=None, gt=0)  # self-improvement attempts, all generations
    max_wall_time_s: float | None = Field(default=None, gt=0)  # the run's active time, across resumes
    # The most output tokens one call is assumed to produce when it does not say (its worst case).
    assumed_max_output_tokens: int = Field(default=16_384, gt=0)


Selection = Literal["score_child_prop", "score_prop", "random", "best", "latest"]
Update = Literal["keep_all", "keep_better"]
PolicyName = Literal["dgm", "hgm", "greedy", "random", "latest"]


class LoopConfig(Strict):
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
    # Where jobs run: "local" (a process each on this machine) or "ray" (a task each on the Ray cluster
    # at ray_address, "auto" being the one this machine belongs to; docs/CLUSTER.md).
    executor: Literal["local", "ray"] = "local"
    ray_address: str = "auto"
    # The search policy (dgm/policies/, docs/SIMULATE.md): "dgm" the paper's; "hgm" after the Huxley-Gödel
    # Machine (expand when evaluations ** hgm_alpha >= agents, else one more task on a Thompson-sampled
    # agent); "greedy", "random", "latest": the paper's staged evaluation with that parent selection.
    policy: PolicyName = "dgm"
    hgm_alpha: float = Field(default=0.6, gt=0)
    hgm_cooldown: bool = False  # hgm: sharpen its sampling as the evaluation budget runs out
    max_evaluations: int | None = Field(default=None, gt=0)  # task evaluations the search may start (canaries aside)


class RunConfig(Strict):
    """Everything one run needs. Stored verbatim in the archive so a run can be reproduced."""

    name: str = "run"
    run_dir: Path = Path("dgm-run")
    db_url: str | None = None  # default: sqlite file inside run_dir (a server's URL is recorded in run_dir/database.json)
    demo: bool = False  # the scripted model serves all calls (offline demonstration)
    model: ModelConfig = Field(default_factory=ModelConfig)
    sandbox: SandboxConfig = Field(default_factory=SandboxConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    evaluation: EvaluationConfig = Field(default_factory=EvaluationConfig)
    loop: LoopConfig = Field(default_factory=LoopConfig)
    budget: BudgetConfig = Field(default_factory=BudgetConfig)

    @field_validator("db_url")
    @classmethod
    def check_db_url(cls, url: str | None) -> str | None:
        if url is not None:
            try:
                public_url(url)
            except DgmError as exc:
                raise ValueError(str(exc)) from None
        return url

    @field_serializer("db_url")
    def db_url_without_password(self, url: str | None) -> str | None:
        # The stored config (archive, manifest, jobs) never carries the password: PGPASSWORD or ~/.pgpass give it.
        return public_url(url) if url else None

    @property
    def database_url(self) -> str:
        """The archive's URL: ``db_url``, the database the run directory records, or its SQLite file."""
        return locate(self.run_dir, self.db_url).url

    def api_key(self) -> str | None:
        # Documented exception to "only the CLI reads the environment": the key's variable is named
        # in the config so it is never written into the archive or the run directory.
        return os.environ.get(self.model.api_key_env)


def _format_validation_error(source: str, err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(top level)"
    more = f" (and {len(err.errors()) - 1} more)" if len(err.errors()) > 1 else ""
    # The value given, when it is a short scalar (a typo is easier to see next to what was expected).
    given = first.get("input")
    secret = any("url" in str(p) or "key" in str(p) for p in first["loc"])  # a URL may carry a password
    got = f", got {given!r}" if isinstance(given, str | int | float) and len(repr(given)) <= 60 and not secret else ""
    return f"{source}: {where}: {first['msg']}{got}{more}"


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
