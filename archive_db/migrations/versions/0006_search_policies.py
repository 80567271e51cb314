"""search policies: the policy's decisions, duplicate attempts and the run's recommended agent

decisions keeps every choice of the run's search policy and why (dgm.policies.decision.Decision as
JSON); its index (run_id, agent_id, kind) counts an agent's choices from the index alone.
agents.duplicate_of names the earlier agent whose code a self-edit reproduced exactly (status
"duplicate": never evaluated); the lineage tree shows it, so the covering index of the tree's columns
is rebuilt with it (as 0005 did for flag). runs.best_agent_id is the agent the policy recommends
handing over, as the coordinator last recorded it.

Revision ID: 0006_search_policies
Revises: 0005_reward_hacking_flags
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_search_policies"
down_revision = "0005_reward_hacking_flags"
branch_labels = None
depends_on = None

# Kept in step with archive_db.schema.AGENT_TREE_COLUMNS; 0005's list plus "duplicate_of".
TREE_0005 = ["run_id", "id", "parent_id", "generation", "status", "score", "n_tasks", "n_resolved", "cost_usd",
             "files_changed", "lines_added", "lines_removed", "created_at", "finished_at", "commit", "target_task", "reason",
             "flag"]
TREE = [*TREE_0005, "duplicate_of"]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot add a constraint to a table, and recreating agents would trip the foreign keys
        # that point at it; a new column may carry its own REFERENCES clause (its default is NULL).
        op.execute("ALTER TABLE agents ADD COLUMN duplicate_of INTEGER REFERENCES agents (id)")
    else:
        op.add_column("agents", sa.Column("duplicate_of", sa.Integer, sa.ForeignKey("agents.id"), nullable=True))
    with op.batch_alter_table("runs", recreate="never") as batch:
        batch.add_column(sa.Column("best_agent_id", sa.Integer, nullable=True))
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("agents.id"), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("rule", sa.Text, nullable=False),
        sa.Column("detail_json", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_decisions_run_agent_kind", "decisions", ["run_id", "agent_id", "kind"])
    op.drop_index("ix_agents_tree", table_name="agents")
    op.create_index("ix_agents_tree", "agents", TREE)


def downgrade() -> None:
    op.drop_index("ix_agents_tree", table_name="agents")
    op.create_index("ix_agents_tree", "agents", TREE_0005)
    op.drop_index("ix_decisions_run_agent_kind", table_name="decisions")
    op.drop_table("decisions")
    with op.batch_alter_table("runs", recreate="never") as batch:
        batch.drop_column("best_agent_id")
    # In place (SQLite >= 3.35 drops a column with its own REFERENCES clause; PostgreSQL drops the
    # column's foreign key with it).
    with op.batch_alter_table("agents", recreate="never") as batch:
        batch.drop_column("duplicate_of")
