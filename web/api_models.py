"""Response shapes of the JSON API. They document the API in FastAPI's OpenAPI schema
(/api/openapi.json, rendered on the dashboard's /api-docs page) for people who script against it."""

from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: str


class RunSummary(BaseModel):
    dir: str = Field(description="The run's folder name under the run root; the {name} in every run URL.")
    id: int
    name: Optional[str] = None
    status: Optional[str] = Field(None, description="running | finished | failed | stopped")
    reason: Optional[str] = None
    dgm_version: Optional[str] = None
    started: Optional[str] = None
    updated: Optional[str] = None
    last_activity: Optional[str] = Field(None, description="When the run last wrote its archive or event log (UTC).")
    agents: int = Field(description="Every attempt, rejected and failed ones included.")
    counts: dict[str, int] = Field(description="Attempts per status: seed, valid, rejected, failed, running.")
    generations: int
    best_score: Optional[float] = None
    best_id: Optional[int] = Field(None, description="The run's best agent: the one its search policy recommends handing over "
                                   "(runs.best_agent_id) unless that agent is flagged; otherwise, and for runs that recorded "
                                   "none, the highest-scoring unflagged archived agent.")
    best_path: list[int] = Field(description="Agent ids from the seed to the best agent.")
    best_recommended: bool = Field(False, description="Whether best_id is the search policy's recorded recommendation.")
    policy: str = Field("dgm", description="The run's search policy (loop.policy): dgm, hgm, greedy, random or latest.")
    seed_score: Optional[float] = None
    cost_usd: float = Field(description="Dollars of every recorded model call of the run.")
    flagged: int = Field(0, description="Agents flagged as suspected reward hackers (see AgentNode.flag).")
    config: dict[str, Any]
    run_dir: Optional[str] = None  # None: a database run whose directory is not on this machine
    version: str = Field(description="Changes whenever the archive changes; see /changes.")


class AgentNode(BaseModel):
    id: int
    parent_id: Optional[int] = None
    generation: int
    status: str = Field(description="seed | valid | rejected | failed | running | duplicate")
    reason: Optional[str] = None
    commit: Optional[str] = None
    has_code: bool
    target_task: Optional[str] = None
    files_changed: int = 0
    lines_added: int = 0
    lines_removed: int = 0
    score: Optional[float] = None
    n_tasks: int = 0
    n_resolved: int = 0
    cost_usd: float = 0.0
    created_at: Optional[str] = None
    finished_at: Optional[str] = None
    flag: Optional[str] = Field(None, description="Why the agent is suspected of reward hacking (it tampered with grading, "
                                "or resolved a cheating-canary task); null when it is not. Flagged agents are never the "
                                "run's best, nor parents under loop.quarantine_flagged.")
    duplicate_of: Optional[int] = Field(None, description="The earlier agent whose code this attempt's self-edit reproduced "
                                        "exactly (status duplicate: it is never evaluated).")


class Iteration(BaseModel):
    generation: int
    attempts: int = Field(description="Attempts made in this generation.")
    archived: int = Field(description="Archived agents (seed and valid) up to this generation.")
    best: Optional[float] = Field(None, description="Best archived score up to this generation, flagged agents left out.")
    mean: Optional[float] = Field(None, description="Mean archived score up to this generation.")
    cost: float = Field(description="Cumulative dollars up to this generation.")


class Point(BaseModel):
    id: int
    generation: int
    score: float
    status: str


class Charts(BaseModel):
    iterations: list[Iteration]
    points: list[Point]


class Changes(BaseModel):
    version: str
    changed: bool = Field(description="Whether the archive changed since the version passed as `since`.")
    events: list[dict[str, Any]] = Field(description="Event-log records after `offset` (the recent tail without one).")
    offset: int = Field(description="Pass back as `offset` to get only newer events.")
    live: dict[str, Any] = Field(description="Whether a dgm process holds the run now; if so its pid, state "
                                 "(running | paused | stopping | starting), heartbeat age, attempts in flight, spend and cap.")


class CompareRun(BaseModel):
    dir: str
    status: Optional[str] = None
    iterations: list[Iteration]


class Clade(BaseModel):
    size: int
    archived: int
    best_id: Optional[int] = None
    best_score: Optional[float] = None
    latest_generation: Optional[int] = None


class Estimate(BaseModel):
    agent_id: int
    own_n: int
    own_passes: int
    clade_n: int
    clade_passes: int
    sample: Optional[float] = Field(None, description="The Thompson draw that decided, when one did.")


class DecisionDetail(BaseModel):
    kind: Optional[str] = None
    agent_id: Optional[int] = None
    rule: Optional[str] = None
    chosen: Optional[Estimate] = None
    runner_up: Optional[Estimate] = Field(None, description="The best of the others, when a draw decided.")
    considered: int = Field(0, description="How many agents the choice was among.")
    n_task_evals: int = Field(0, description="Task evaluations done or in flight when it decided.")
    n_nodes: int = Field(0, description="Agents in the tree when it decided.")
    temperature: float = 1.0


class PolicyDecision(BaseModel):
    kind: str = Field(description="evaluate | expand | resume | settle | canary")
    rule: str = Field(description="Why, in words.")
    detail: DecisionDetail
    created_at: Optional[str] = None


class AgentSearch(BaseModel):
    policy: str = Field(description="The run's search policy (loop.policy).")
    evaluations: int = Field(description="The agent's own task evaluations (cheating-canary checks never count).")
    passes: int = Field(description="Those it resolved.")
    clade_evaluations: int = Field(description="Task evaluations of the agent and all its descendants.")
    clade_passes: int
    chosen: dict[str, int] = Field(description="Decisions about this agent per kind: expand (chosen as a parent), evaluate, "
                                   "resume, settle, canary.")
    decisions: list[PolicyDecision] = Field(description="Its newest decisions (at most 20), newest first.")


class AgentDetail(AgentNode):
    diagnosis: Optional[dict[str, Any]] = Field(None, description="The diagnosis model's JSON that motivated this agent.")
    diagnosis_raw: Optional[str] = Field(None, description="The diagnosis as stored, when it is not a JSON object.")
    transcript_messages: int = Field(description="Messages in the self-modification transcript.")
    path: list[int] = Field(description="Agent ids from the seed to this agent.")
    children: list[AgentNode]
    clade: Clade
    seed_id: Optional[int] = None
    best_id: Optional[int] = None
    replay_command: str = Field(description="The exact `dgm replay` command that runs this agent on a repository.")
    checkout_command: str
    download_url: Optional[str] = None
    calls: dict[str, Any] = Field(description="Model calls: count, tokens and dollars, also per purpose.")
    search: AgentSearch = Field(description="What the run's search policy had of this agent and what it chose.")


class FileStat(BaseModel):
    path: str
    added: int
    removed: int
    change: str


class Diff(BaseModel):
    agent_id: int
    base_id: Optional[int] = None
    against: str
    available: bool = Field(description="False when either agent has no code (no commit) to compare.")
    diff: str = ""
    truncated: bool = False
    files: list[FileStat] = []


class TaskResult(BaseModel):
    id: int
    task_id: str
    stage: int
    resolved: bool
    parent_resolved: Optional[bool] = Field(None, description="The parent's outcome on this task; null if it never ran it.")
    flip: Optional[str] = Field(None, description="newly_solved | newly_broken | null")
    empty_patch: bool = False
    duration_s: float = 0.0
    error: Optional[str] = None
    agent_status: Optional[str] = None
    agent_counts: Optional[dict[str, Any]] = Field(
        None, description="From the agent's result.json: tool-call formats it read or rejected ({format: n}), nudges, repeated calls.")
    exit_code: Optional[int] = None
    grade_cached: Optional[bool] = None
    patch_chars: int = 0
    transcript_chars: int = 0
    tampered: Optional[str] = Field(None, description="Why this grade cannot be trusted (a grader canary test came out wrong).")
    canary: bool = Field(False, description="A cheating-canary check: a task no honest patch resolves; it never counts.")
    tests_total: int
    tests_passed: int
    tests_flipped: list[str]


class TaskResults(BaseModel):
    parent_id: Optional[int] = None
    totals: dict[str, int] = Field(description="Over the benchmark's tasks (canary checks apart): tasks, solved, newly_solved, "
                                   "newly_broken; and canary_checks, canary_resolved, tampered.")
    tasks: list[TaskResult]


class EvaluationDetail(BaseModel):
    id: int
    agent_id: int
    task_id: str
    stage: int
    resolved: bool
    empty_patch: bool
    patch: str
    test_output: str
    test_results: dict[str, str]
    stripped_paths: list[str]
    error: Optional[str] = None
    agent_status: Optional[str] = None
    duration_s: float = 0.0
    exit_code: Optional[int] = None
    grade_cached: Optional[bool] = None
    task_hash: Optional[str] = None
    created_at: Optional[str] = None
    tampered: Optional[str] = None
    canary: bool = False


class Message(BaseModel):
    role: str
    content: str
    tool_calls: list[dict[str, str]]
    name: Optional[str] = None
    tool_call_id: Optional[str] = None


class TranscriptPage(BaseModel):
    total: int
    offset: int
    limit: int
    messages: list[Message]


class ModelCallOut(BaseModel):
    id: int
    task_id: Optional[str] = None
    purpose: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    latency_s: float
    error: Optional[str] = None
    created_at: Optional[str] = None
