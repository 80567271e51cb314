"""Every event a run records, typed. `Runtime.emit(event)` appends one JSON line to the run's
events.jsonl (`{"t": ..., "event": <name>, <fields>}`, the format the dashboard's feed, `dgm status`
and the perf scripts read) and hands it to the live display.

Parts below dgm (the model client's retries, the benchmark check) report through plain callbacks;
`from_name` turns what they say into one of these, so a field that drifts is an error at once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    name: ClassVar[str]

    def fields(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


# -- the run ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunResumed(Event):
    name = "run_resumed"
    run: int
    repaired: list[str]
    containers_removed: int
    open_attempts: list[int]
    attempts_done: int
    flagged: int


@dataclass(frozen=True)
class RunStoppedEvent(Event):
    name = "run_stopped"
    run: int
    reason: str
    spent: float


@dataclass(frozen=True)
class RunFinished(Event):
    name = "run_finished"
    run: int


@dataclass(frozen=True)
class BudgetExhaustedEvent(Event):
    name = "budget_exhausted"
    run: int
    reason: str
    spent: float | None = None
    cap: float | None = None
    active_s: float | None = None


@dataclass(frozen=True)
class AllCandidatesFlagged(Event):
    name = "all_candidates_flagged"
    run: int
    flagged: list[int]
    reason: str


@dataclass(frozen=True)
class EndpointGaveUp(Event):
    name = "endpoint_gave_up"
    run: int
    reason: str | None


@dataclass(frozen=True)
class StopForced(Event):
    name = "stop_forced"
    in_flight: list[int]
    grace_s: float


@dataclass(frozen=True)
class WatchdogError(Event):
    name = "watchdog_error"
    error: str


@dataclass(frozen=True)
class BenchmarkSetup(Event):
    name = "benchmark_setup"
    message: str


@dataclass(frozen=True)
class SuiteCheckStarted(Event):
    name = "suite_check_started"
    benchmark: str
    tasks: int


@dataclass(frozen=True)
class TaskChecked(Event):
    name = "task_checked"
    task: str
    status: str
    reason: str
    cached: bool


@dataclass(frozen=True)
class SuiteChecked(Event):
    name = "suite_checked"
    benchmark: str
    ok: int
    flaky: int
    broken: int
    dropped: list[str]


# -- the model endpoint -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ModelRetry(Event):
    name = "model_retry"
    model: str
    attempt: int
    error: str
    wait_s: float
    hint: str | None = None  # what to change, when we know (a timeout: which setting to raise)


@dataclass(frozen=True)
class EndpointDownEvent(Event):
    name = "endpoint_down"
    base_url: str
    error: str
    since: float | None


@dataclass(frozen=True)
class EndpointUp(Event):
    name = "endpoint_up"
    base_url: str
    down_s: float


@dataclass(frozen=True)
class ContextWindowEvent(Event):
    """The diagnosis model's context window the run sizes diagnosis prompts to, and where it came from
    (model.context_tokens, the server's route that said it, or assumed)."""

    name = "context_window"
    model: str
    tokens: int
    source: str
    message: str


@dataclass(frozen=True)
class GatewayError(Event):
    name = "gateway_error"
    agent: int | None
    task: str | None
    error: str


# -- jobs -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class JobStarted(Event):
    name = "job_started"
    job: str
    kind: str  # expand | evaluate
    agent: int
    task: str | None
    worker: int  # the slot it runs in: 0 .. loop.workers - 1


@dataclass(frozen=True)
class JobFinished(Event):
    name = "job_finished"
    job: str
    kind: str
    agent: int
    worker: int
    outcome: str  # done | died | repeated (after an outage) | lost (its node died) | settled | stopped | stalled
    duration_s: float


# -- agents -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SeedEvaluationStarted(Event):
    name = "seed_evaluation_started"
    agent: int


@dataclass(frozen=True)
class SeedEvaluated(Event):
    name = "seed_evaluated"
    agent: int
    score: float
    cost: float


@dataclass(frozen=True)
class ScoreUpdated(Event):
    """A filed agent's score after more of its tasks were evaluated (a policy such as hgm keeps evaluating)."""

    name = "score_updated"
    agent: int
    score: float
    n_tasks: int
    n_resolved: int


@dataclass(frozen=True)
class BestAgent(Event):
    """The agent the run would hand over now (the search policy's recommendation) changed, or its score did."""

    name = "best_agent"
    agent: int
    score: float
    n_tasks: int


@dataclass(frozen=True)
class AttemptStarted(Event):
    name = "attempt_started"
    agent: int
    parent: int
    generation: int  # lineage depth
    resumed: bool


@dataclass(frozen=True)
class Diagnosed(Event):
    name = "diagnosed"
    agent: int
    target: str | None
    proposal: str


@dataclass(frozen=True)
class SelfModified(Event):
    name = "self_modified"
    agent: int
    commit: str
    files: int


@dataclass(frozen=True)
class Validated(Event):
    name = "validated"
    agent: int


@dataclass(frozen=True)
class AttemptInterrupted(Event):
    name = "attempt_interrupted"
    agent: int
    parent: int | None


@dataclass(frozen=True)
class AttemptFinished(Event):
    name = "attempt_finished"
    agent: int
    parent: int | None
    status: str
    reason: str | None
    cost: float
    score: float | None = None
    flagged: bool = False


@dataclass(frozen=True)
class AttemptStalled(Event):
    name = "attempt_stalled"
    agent: int
    idle_s: float
    containers_removed: int


@dataclass(frozen=True)
class AgentRunRepeated(Event):
    name = "agent_run_repeated"
    agent: int
    job: str
    reason: str


@dataclass(frozen=True)
class TaskGraded(Event):
    name = "task_graded"
    agent: int
    task: str
    stage: int
    resolved: bool
    empty: bool
    cached: bool
    tampered: str | None
    canary: bool


@dataclass(frozen=True)
class CanaryCheckStarted(Event):
    name = "canary_check_started"
    agent: int
    task: str
    why: str | None


@dataclass(frozen=True)
class AgentFlagged(Event):
    name = "agent_flagged"
    agent: int
    reason: str
    task: str | None
    source: str  # canary | tampered


EVENTS: dict[str, type[Event]] = {cls.name: cls for cls in Event.__subclasses__()}


def from_name(name: str, data: dict[str, Any]) -> Event:
    """The typed event a lower layer's callback described (TypeError if its fields drifted)."""
    return EVENTS[name](**data)
