"""initial schema: runs, agents, evaluations, model_calls

Revision ID: 0001_initial
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("config_json", sa.Text, nullable=False),
        sa.Column("dgm_version", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "agents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("agents.id"), nullable=True),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("commit", sa.String(64), nullable=True),
        sa.Column("target_task", sa.String(200), nullable=True),
        sa.Column("diagnosis_json", sa.Text, nullable=True),
        sa.Column("transcript_json", sa.Text, nullable=True),
        sa.Column("files_changed", sa.Integer, nullable=False),
        sa.Column("lines_added", sa.Integer, nullable=False),
        sa.Column("lines_removed", sa.Integer, nullable=False),
        sa.Column("score", sa.Float, nullable=True),
        sa.Column("n_tasks", sa.Integer, nullable=False),
        sa.Column("n_resolved", sa.Integer, nullable=False),
        sa.Column("cost_usd", sa.Float, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_agents_run_id", "agents", ["run_id"])
    op.create_index("ix_agents_parent_id", "agents", ["parent_id"])
    op.create_index("ix_agents_status", "agents", ["status"])
    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("agents.id"), nullable=False),
        sa.Column("task_id", sa.String(200), nullable=False),
        sa.Column("stage", sa.Integer, nullable=False),
        sa.Column("resolved", sa.Boolean, nullable=False),
        sa.Column("empty_patch", sa.Boolean, nullable=False),
        sa.Column("duration_s", sa.Float, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("agent_status", sa.String(40), nullable=True),
        sa.Column("patch", sa.Text, nullable=False),
        sa.Column("patch_hash", sa.String(64), nullable=False),
        sa.Column("stripped_paths_json", sa.Text, nullable=False),
        sa.Column("test_output", sa.Text, nullable=False),
        sa.Column("test_results_json", sa.Text, nullable=False),
        sa.Column("transcript_json", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_evaluations_agent_id", "evaluations", ["agent_id"])
    op.create_table(
        "model_calls",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=True),
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("agents.id"), nullable=True),
        sa.Column("task_id", sa.String(200), nullable=True),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("prompt_tokens", sa.Integer, nullable=False),
        sa.Column("completion_tokens", sa.Integer, nullable=False),
        sa.Column("cost_usd", sa.Float, nullable=False),
        sa.Column("latency_s", sa.Float, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_model_calls_run_id", "model_calls", ["run_id"])
    op.create_index("ix_model_calls_agent_id", "model_calls", ["agent_id"])


def downgrade() -> None:
    op.drop_table("model_calls")
    op.drop_table("evaluations")
    op.drop_table("agents")
    op.drop_table("runs")
