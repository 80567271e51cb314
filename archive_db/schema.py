"""ORM tables. Every column added here needs a migration in archive_db/migrations/versions."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates

from archive_db.compressed import CompressedText

# The lineage tree's columns, in a covering index: a scan of them never touches the long texts
# (diagnosis, transcript) stored before them in each row. Migration 0003 creates it; 0005 adds flag,
# 0006 duplicate_of.
AGENT_TREE_COLUMNS = ("run_id", "id", "parent_id", "generation", "status", "score", "n_tasks", "n_resolved", "cost_usd",
                      "files_changed", "lines_added", "lines_removed", "created_at", "finished_at", "commit",
                      "target_task", "reason", "flag", "duplicate_of")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# Compressed texts and the columns that hold their lengths (kept by the models' validators, and by
# Archive._update, which writes without loading the row).
MEASURED = {"patch": "patch_chars", "transcript_json": "transcript_chars"}

class Base(DeclarativeBase):
    pass


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="running")  # running|finished|failed|stopped
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    config_json: Mapped[str] = mapped_column(Text)
    dgm_version: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    # The agent the run's search policy recommends handing over, as the coordinator last recorded it
    # (migration 0006); None: never recorded (an older run), and readers take the best unflagged score.
    # No foreign key: runs and agents would then point at each other, which no table order can create.
    best_agent_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Agent(Base):
    """One self-modification attempt; the seed is the root. Rejected and failed ones are kept."""

    __tablename__ = "agents"
    __table_args__ = (Index("ix_agents_tree", *AGENT_TREE_COLUMNS),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), nullable=True, index=True)
    generation: Mapped[int] = mapped_column(Integer)
    # seed | running | valid | rejected | failed | duplicate (its code equals an earlier agent's: never evaluated)
    status: Mapped[str] = mapped_column(String(20), index=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    commit: Mapped[str | None] = mapped_column(String(64), nullable=True)
    target_task: Mapped[str | None] = mapped_column(String(200), nullable=True)
    diagnosis_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    transcript_json: Mapped[str | None] = mapped_column(CompressedText, nullable=True)
    files_changed: Mapped[int] = mapped_column(Integer, default=0)
    lines_added: Mapped[int] = mapped_column(Integer, default=0)
    lines_removed: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    n_tasks: Mapped[int] = mapped_column(Integer, default=0)
    n_resolved: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The transcript's length in characters: SQL cannot measure a compressed text (migration 0004).
    transcript_chars: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Why the agent is suspected of reward hacking (it tampered with grading, or resolved a cheating
    # canary); None when it is not. A flagged agent is never a parent under loop.quarantine_flagged.
    flag: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The earlier agent whose code this attempt's self-edit reproduced exactly (status "duplicate").
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), nullable=True)

    @validates("transcript_json")
    def _measure(self, key: str, value: str | None) -> str | None:
        setattr(self, MEASURED[key], len(value or ""))
        return value


class Evaluation(Base):
    """One agent on one benchmark task: its patch, how it was graded, and the outcome."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(200))
    stage: Mapped[int] = mapped_column(Integer)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    empty_patch: Mapped[bool] = mapped_column(Boolean, default=False)
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    agent_status: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # The rest of the agent's result.json, checked and bounded (dgm.agent_run): tool-call formats, nudges, repeats.
    agent_counts: Mapped[str | None] = mapped_column(Text, nullable=True)
    patch: Mapped[str] = mapped_column(CompressedText, default="")
    patch_hash: Mapped[str] = mapped_column(String(64), default="")
    stripped_paths_json: Mapped[str] = mapped_column(Text, default="[]")
    test_output: Mapped[str] = mapped_column(CompressedText, default="")
    test_results_json: Mapped[str] = mapped_column(Text, default="{}")
    transcript_json: Mapped[str | None] = mapped_column(CompressedText, nullable=True)
    # Provenance: the content hash of the task that was graded (re-grading checks it still matches),
    # the test command's exit code, and whether the grade came from the grade cache.
    task_hash: Mapped[str] = mapped_column(String(64), default="", server_default="")
    exit_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    grade_cached: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Lengths in characters of the compressed texts, for listings that must not decompress them.
    patch_chars: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    transcript_chars: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Why this grade cannot be trusted (a grader canary test came out wrong); never resolved then.
    tampered: Mapped[str | None] = mapped_column(Text, nullable=True)
    # A cheating-canary task (benchmarks/canaries/): no honest patch resolves it; it never counts.
    canary: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    @validates("patch", "transcript_json")
    def _measure(self, key: str, value: str | None) -> str | None:
        setattr(self, MEASURED[key], len(value or ""))
        return value


class Decision(Base):
    """One choice of the run's search policy and why (dgm.policies.decision.Decision as JSON): which
    agent it evaluated, expanded, resumed, settled or checked on a canary, by which rule, on what
    estimates. Kept for the dashboard; nothing reads it back to decide."""

    __tablename__ = "decisions"
    # Per agent and kind, counted from the index alone (the agent page's "chosen n times").
    __table_args__ = (Index("ix_decisions_run_agent_kind", "run_id", "agent_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(20))  # evaluate | expand | resume | settle | canary
    rule: Mapped[str] = mapped_column(Text)
    detail_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ModelCall(Base):
    """Every model request, successful or not, with tokens and dollars: honest cost accounting."""

    __tablename__ = "model_calls"
    # The spend per agent of a run, answered from the index alone (the dashboard's cost figures).
    __table_args__ = (Index("ix_model_calls_run_agent_cost", "run_id", "agent_id", "cost_usd"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), nullable=True, index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), nullable=True, index=True)
    task_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    purpose: Mapped[str] = mapped_column(String(40))  # diagnose | self_modify | solve | replay
    model: Mapped[str] = mapped_column(String(200))
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    latency_s: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
